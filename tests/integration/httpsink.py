#!/usr/bin/env python3
"""A fast HTTP receiver for flush tests and benchmarks: counts what it is sent, answers at once.

  httpsink.py --port-file F

One asyncio loop, kept-alive connections, no logging per request (httpfake.py, which records
everything, manages some hundred requests a second; a flush of 10,000 records needs more).
Every POST is answered with the current status (204 at start). Control requests:
  POST /_status/N   answer N from now on
  GET /_count       "ANSWERED_2XX DISTINCT_RUN_IDS DUPLICATED_RUN_IDS ALL_REQUESTS\n" (run ids
                    of the 2xx-answered bodies: the value after "run_id" in JSON or line protocol)
"""
import argparse
import asyncio
import os
import re

STATUS = [204]
SEEN = {}
REQUESTS = [0]
ALL = [0]
RUN_ID = re.compile(rb'run_id"?[:=]"([0-9a-f-]{36})"')
REASONS = {200: b"OK", 204: b"No Content", 500: b"Internal Server Error",
           503: b"Service Unavailable", 404: b"Not Found"}


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            method, path = lines[0].split(b" ")[:2]
            n = 0
            for line in lines[1:]:
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":", 1)[1])
            body = await reader.readexactly(n) if n else b""
            out = b""
            if path.startswith(b"/_status/"):
                STATUS[0] = int(path[9:])
                status = 200
            elif path == b"/_count":
                dups = sum(1 for c in SEEN.values() if c > 1)
                out = b"%d %d %d %d\n" % (REQUESTS[0], len(SEEN), dups, ALL[0])
                status = 200
            else:
                status = STATUS[0]
                ALL[0] += 1
                if 200 <= status <= 299:
                    REQUESTS[0] += 1
                    m = RUN_ID.search(body)
                    if m:
                        SEEN[m.group(1)] = SEEN.get(m.group(1), 0) + 1
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Length: %d\r\n\r\n%s"
                         % (status, REASONS.get(status, b"X"), len(out), out))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    writer.close()


async def main(args):
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.sockets[0].getsockname()[1])
    os.rename(tmp, args.port_file)
    await server.serve_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port-file", required=True)
    asyncio.run(main(p.parse_args()))
