"""``kiwoom-lab serve``: a page in the browser that shows the timeline growing while it happens.

:mod:`.cli` parses the command's options and serves :func:`.app.create_live_app` with uvicorn;
:mod:`.lessons` runs a catalog lesson and follows it; :mod:`.follow` follows a running fake;
:mod:`.feed` carries both to the page as server-sent events. The page itself is ``static/``:
plain HTML, CSS and JavaScript, no build step, nothing fetched from the network; its Hangul face
comes from :mod:`kiwoom_lab.fonts`.
"""
