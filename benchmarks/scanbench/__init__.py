"""Parts of the mailbox-scan benchmark (`benchmarks/scan.py`): the generated mailbox, the
baselines it is compared with, and afterview's own scan run in a child process."""
