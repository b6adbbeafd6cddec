"""The bottom layer, which every stage uses and which uses none of them: the one error type users see
(``errors``), atomic files and the JSON/CSV/.npz formats (``files``), explicit randomness
(``seeding``), safe points for Ctrl-C and SIGTERM (``interrupt``), and the terminal (``console``)."""
