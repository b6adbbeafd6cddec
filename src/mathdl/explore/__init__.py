"""``mathdl explore``: a local web page over mathdl's own computations.

    app          the ASGI application (Starlette): page, API, errors, the guard (Host, Origin), the sessions' reaper
    routes       the JSON API, one thin handler per endpoint, and the one route table
    checks       every request checked: body type, size and time, JSON, parameters → 422 / 415 / 413 / 408 / 404
    catalog      the run and study directories given, by id (no path from a request is opened)
    digit        an image through a run's network; the units that decided; reverse images; equations
    default_net  the ten-digit network trained on first use, kept in the user cache
    playground   one session per tab: dots, a network and its training thread; the loops compiled at start
    frame        what the playground draws: boundary, neurons' maps, a perceptron's line
    study        a study directory's results for the page
    server       uvicorn on 127.0.0.1, the URL, the browser, Ctrl-C
    static/      the page: plain HTML, CSS and JavaScript, no build step, nothing fetched from elsewhere
"""
