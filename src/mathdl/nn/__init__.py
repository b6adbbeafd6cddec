"""The network built from its equations: activations, costs, parameters, backprop, gradient check."""
from .activations import ACTIVATIONS, Activation, get_activation
from .backprop import Gradients, backprop, backprop_online, gradients, input_gradient, method_name
from .costs import COSTS, Cost, get_cost
from .gradcheck import gradcheck
from .init import INITS
from .network import DTYPES, Network
from .optimizers import OPTIMIZERS, make_optimizer

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "COSTS", "Cost", "get_cost", "INITS", "DTYPES",
           "Network", "Gradients", "backprop", "backprop_online", "gradients", "input_gradient", "method_name",
           "gradcheck", "OPTIMIZERS", "make_optimizer"]
