"""The locust load runner behind ``python -m bench.loadrun``, one module per responsibility.

* :mod:`.plan`: which runs, against what, with which mix and phases (and where the files are);
* :mod:`.processes`: the child processes of a run, started in their own groups and always stopped;
* :mod:`.servers`: starting the fake and our server (or a floor) for one run;
* :mod:`.probes`: plain HTTP reads of the running servers;
* :mod:`.journal`: what the fake saw, per phase and over our server's whole life;
* :mod:`.server_metrics`: a digest of our ``/metrics`` and the tool-latency histogram;
* :mod:`.redis_admin`: the Redis the scale-out runs share (checked first, cleaned after);
* :mod:`.locust_runs`: one headless locust run and its figures;
* :mod:`.measure`: one planned run from start to stop, phase by phase (with the cache pre-fill);
* :mod:`.report`: ratios to the floors, the targets, and the markdown tables;
* :mod:`.console`: progress lines and the error that ends a run.

``bench/loadrun.py`` keeps the command line and ties these together.
"""
