#!/usr/bin/env python3
"""Writes N spool entries for JOB, as cronguard would have left them: spoolgen.py DIR JOB N URL.

Webhook records with distinct run ids, oldest first, for flush tests and benchmarks.
"""
import os
import sys
import uuid


def main():
    d, job, n, url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    os.makedirs(d, mode=0o700, exist_ok=True)
    for i in range(n):
        rid = str(uuid.uuid4())
        start = 1700000000000000 + i
        body = '{"job":"%s","run_id":"%s","n":%d}' % (job, rid, i)
        with open("%s/%020d-%s-%s.webhook" % (d, start, job, rid), "w") as f:
            f.write("cronguard-spool 1\nsink webhook\nauth none\njob %s\nrun-id %s\nstart-us %d\n"
                    "url %s\ncontent-type application/json\n\n%s" % (job, rid, start, url, body))


if __name__ == "__main__":
    main()
