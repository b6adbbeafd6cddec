"""The works the report cites, in the order of the reference list, and ``cite`` for the text."""
from __future__ import annotations

from .document import Bullets, Heading

REFERENCES = {
    "rashid": "T. Rashid, Make Your Own Neural Network. CreateSpace Independent Publishing, 2016 (the network, "
              "its initialisation and scaling, and backquery in the chapter \"Inside the Mind of a Neural Network\").",
    "lecun": "Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, \"Gradient-based learning applied to document "
             "recognition,\" Proceedings of the IEEE 86(11), 2278-2324, 1998 (the MNIST database).",
    "casey": "R. G. Casey, \"Moment normalization of handprinted characters,\" IBM Journal of Research and "
             "Development 14(5), 548-557, 1970 (deskewing by the image's second moments).",
    "wilson": "E. B. Wilson, \"Probable inference, the law of succession, and statistical inference,\" Journal of "
              "the American Statistical Association 22(158), 209-212, 1927 (the score interval).",
    "mcnemar": "Q. McNemar, \"Note on the sampling error of the difference between correlated proportions or "
               "percentages,\" Psychometrika 12(2), 153-157, 1947.",
    "fagerland": "M. W. Fagerland, S. Lydersen and P. Laake, \"The McNemar test for binary matched-pairs data: "
                 "mid-p and asymptotic are better than exact conditional,\" BMC Medical Research Methodology 13, "
                 "91, 2013 (the mid-p value).",
    "holm": "S. Holm, \"A simple sequentially rejective multiple test procedure,\" Scandinavian Journal of "
            "Statistics 6(2), 65-70, 1979.",
    "efron": "B. Efron and R. J. Tibshirani, An Introduction to the Bootstrap. Chapman & Hall, 1993 (percentile "
             "intervals).",
    "matthews": "B. W. Matthews, \"Comparison of the predicted and observed secondary structure of T4 phage "
                "lysozyme,\" Biochimica et Biophysica Acta 405(2), 442-451, 1975 (the correlation coefficient MCC).",
    "matlab": "The MathWorks, MATLAB documentation: confusionmat and confusionchart (rows: true class), "
              "plotconfusion (Deep Learning Toolbox; rows: output class), testcholdout (Statistics and Machine "
              "Learning Toolbox; McNemar's test, mid-p by default).",
}
ORDER = list(REFERENCES)


def cite(*keys: str) -> str:
    """'[2]' or '[4, 5]': the reference numbers of ``keys`` in the list."""
    return "[" + ", ".join(str(ORDER.index(key) + 1) for key in keys) + "]"


def reference_blocks() -> list:
    return [Heading("References"), Bullets(tuple((REFERENCES[key],) for key in ORDER), numbered=True)]
