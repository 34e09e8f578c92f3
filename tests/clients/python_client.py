#!/usr/bin/env python3
"""A client in another language, written from docs/contract.md alone: post a document event,
then a query and a malformed query, and print what came back. Usage: python_client.py HOST PORT PREFIX"""
import json
import sys
import time
import zlib

import redis

host, port, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = redis.Redis(host=host, port=port)
if r.info("cluster").get("cluster_enabled"):
    # A Redis Cluster: a cluster client sends each command to the node that holds its key.
    from redis.cluster import RedisCluster
    r = RedisCluster(host=host, port=port)
# Stream partitions (docs/contract.md): the index manifest records how many; any one takes a query.
partitions = int(r.hget(f"{prefix}:manifest", "stream_partitions") or 1)


def requests(request_id):
    if partitions == 1:
        return f"{prefix}:{{queries}}:requests"
    return f"{prefix}:{{queries.p{zlib.crc32(request_id.encode('utf-8')) % partitions}}}:requests"


channel = f"{prefix}:py-replies"

pubsub = r.pubsub()
pubsub.subscribe(channel)  # subscribe before posting, so no reply is missed
pubsub.get_message(timeout=1.0)  # the subscribe confirmation


def ask(request_id, **fields):
    deadline = int(time.time() * 1000) + 5000
    r.xadd(requests(request_id), {"v": "1", "id": request_id, "reply_to": channel, "deadline": str(deadline), **fields})
    end = time.time() + 10
    while time.time() < end:
        message = pubsub.get_message(timeout=1.0)
        if message and message["type"] == "message":
            reply = json.loads(message["data"])
            if reply["id"] == request_id:
                return reply
    raise SystemExit(f"no reply to {request_id}")


ok = ask("py-1", query="what does the queen bee do in the hive?", k="3",
         filters=json.dumps({"sources": ["wiki"], "tags_any": ["insects"]}))
assert ok["v"] == 1 and ok["status"] == "ok", ok
print("OK", ok["results"][0]["id"], ok["results"][0]["score"], ok["timings"]["total_ms"])

bad = ask("py-2", query="bees", k="0")
assert bad["status"] == "error", bad
print("ERROR", bad["error"]["code"], bad["error"]["message"])
