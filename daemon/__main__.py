"""`python -m daemon` runs the same command line as `afterview`."""

from daemon.cli import main

raise SystemExit(main())
