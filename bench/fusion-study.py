#!/usr/bin/env python3
"""Fusions of the Query Engine engine's two rankings, tried offline on what `./bench.sh retrieval` kept.

`./bench.sh retrieval` (with STREAMRAG_SEARCH_MODULE set) keeps, per corpus and provider, each side
of the hybrid search alone in its own order with its scores: bench-results/retrieval-replies-
<corpus>-<provider>-search-vector-order.json (similarity) and -text-order.json (BM25STD divided by the
query's best), 100 passages each. This script fuses them in several ways, each with and without the
query worker's default re-ranking (similarity + 0.05 x the share of the query's words a passage holds,
idf over the candidates: workers/StreamRag.Query/LexicalScorer.cs), and prints document-level MRR@10
beside the fleet's own figures, so a fusion can be judged without ingesting again. Its last rows bound
what any fusion of the two rankings could reach, even with weights chosen for each query alone.

    python3 bench/fusion-study.py [--provider arctic-xs] [--results bench-results]

(`./bench.sh retrieval --smoke` keeps its replies in bench-results/smoke/: pass that as --results.)

Standard library only. The re-ranking here runs over the 100 fused candidates; the fleet's over
3 x K (150 for the bench's K = 50), so the two differ slightly.
"""
import argparse
import glob
import json
import math
import os
import re
import statistics

LEXICAL_WEIGHT = 0.05  # Query:LexicalWeight


def words(text):
    return [w.lower() for w in re.findall(r"[^\W_]+", text)]


def coverage(query, passages):
    terms = set(words(query))
    if not terms or not passages:
        return [0.0] * len(passages)
    present = [set(w for w in words(p) if w in terms) for p in passages]
    n = len(passages)
    idf = {}
    for t in terms:
        df = sum(1 for p in present if t in p)
        idf[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
    total = sum(idf.values())
    return [sum(idf[t] for t in p) / total for p in present]


def mrr(rankings, expected):
    """Document-level MRR@10 of passage rankings (lists of (document, ...))."""
    total = 0.0
    for ranking, want in zip(rankings, expected):
        docs = []
        for doc in ranking:
            if doc not in docs:
                docs.append(doc)
            if len(docs) == 10:
                break
        if want in docs:
            total += 1 / (docs.index(want) + 1)
    return total / len(expected)


def reciprocal_ranks(queries, fuse):
    """Each query's document-level reciprocal rank (within 10) in the engine order of a fusion."""
    return [mrr([q.order(fuse(q), False)], [q.expected]) for q in queries]


def load(results, corpus, provider, name):
    path = os.path.join(results, f"retrieval-replies-{corpus}-{provider}-search-{name}.json")
    return json.load(open(path, encoding="utf-8")) if os.path.exists(path) else None


def minmax(values):
    lo, hi = min(values), max(values)
    return [(v - lo) / (hi - lo) if hi > lo else 1.0 for v in values]


def zscore(values):
    mean = statistics.fmean(values)
    sd = statistics.pstdev(values) or 1.0
    return [(v - mean) / sd for v in values]


class Query:
    def __init__(self, vector_reply, text_reply):
        self.text = vector_reply["query"]
        self.expected = vector_reply["expected"]
        key = lambda r: f"{r['id']}#{r['chunk']}"
        self.vector = [(key(r), r["score"]) for r in vector_reply["results"]]
        self.bm25 = [(key(r), r["score"]) for r in text_reply["results"] if r["score"] > 0]
        self.doc = {key(r): r["id"] for r in vector_reply["results"] + text_reply["results"]}
        self.content = {key(r): r["content"] for r in vector_reply["results"] + text_reply["results"]}

    def order(self, scores, rerank):
        keys = sorted(scores, key=lambda k: -scores[k])
        if rerank:
            cov = coverage(self.text, [self.content[k] for k in keys])
            order = sorted(range(len(keys)), key=lambda i: (-(scores[keys[i]] + LEXICAL_WEIGHT * cov[i]), i))
            keys = [keys[i] for i in order]
        return [self.doc[k] for k in keys]


def linear(q, text_weight):
    """The engine's fusion (Index:Search:Combine=linear): similarity + w x BM25 / best."""
    scores = dict(q.vector)
    for k, s in q.bm25:
        scores[k] = scores.get(k, 0.0) + text_weight * s
    return scores


def convex(q, alpha, norm):
    """alpha x norm(similarity) + (1 - alpha) x norm(BM25) over each side's candidates."""
    scores = {}
    if q.vector:
        for (k, _), v in zip(q.vector, norm([s for _, s in q.vector])):
            scores[k] = alpha * v
    if q.bm25:
        for (k, _), t in zip(q.bm25, norm([s for _, s in q.bm25])):
            scores[k] = scores.get(k, 0.0) + (1 - alpha) * t
    return scores


def rrf(q, k, text_weight):
    scores = {}
    for rank, (key, _) in enumerate(q.vector):
        scores[key] = 1 / (k + rank + 1)
    for rank, (key, _) in enumerate(q.bm25):
        scores[key] = scores.get(key, 0.0) + text_weight / (k + rank + 1)
    return scores


def document_level(q, text_weight):
    """Per document: its best similarity + w x its best BM25 / the query's best (passages of one document pooled)."""
    best = {}
    for key, s in q.vector:
        doc = q.doc[key]
        best[doc] = max(best.get(doc, 0.0), s)
    text = {}
    for key, s in q.bm25:
        doc = q.doc[key]
        text[doc] = max(text.get(doc, 0.0), s)
    return {d: best.get(d, 0.0) + text_weight * text.get(d, 0.0) for d in set(best) | set(text)}


def rank_bound(q, dims):
    """The reciprocal rank of the expected document under the best fusion that rises with each side's score,
    its weights chosen for this query alone: an upper bound for every such fusion (dims 2: similarity and
    BM25; 3: and the re-ranking's word coverage). The expected document's passages are credited with each
    side's best score they have (a passage a side did not return, with the lowest it returned); another
    document ranks above it under every such fusion only if one of its passages beats that on every side."""
    keys = sorted(q.content)
    vector, text = dict(q.vector), dict(q.bm25)
    vector_cap = min(vector.values()) if vector else 1.0
    text_cap = min(text.values()) if len(q.bm25) >= 100 else 0.0
    cov = dict(zip(keys, coverage(q.text, [q.content[k] for k in keys])))

    def point(key, optimistic):
        missing = None if optimistic else float("-inf")
        v = vector.get(key, vector_cap if missing is None else missing)
        t = text.get(key, text_cap if missing is None else missing)
        return (v, t, cov[key])[:dims]

    mine = [point(k, True) for k in keys if q.doc[k] == q.expected]
    if not mine:
        return 0.0
    best = tuple(max(p[i] for p in mine) for i in range(dims))
    above = {q.doc[k] for k in keys if q.doc[k] != q.expected and all(a > b for a, b in zip(point(k, False), best))}
    return 1 / (len(above) + 1) if len(above) < 10 else 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--provider", default="arctic-xs")
    parser.add_argument("--results", default="bench-results")
    args = parser.parse_args()
    found = sorted(glob.glob(os.path.join(args.results, f"retrieval-replies-*-{args.provider}-search-vector-order.json")))
    if not found:
        raise SystemExit(f"no {args.results}/retrieval-replies-*-{args.provider}-search-vector-order.json: run "
                         "STREAMRAG_SEARCH_MODULE=<module .so> ./bench.sh retrieval first")
    for path in found:
        corpus = os.path.basename(path)[len("retrieval-replies-"):-len(f"-{args.provider}-search-vector-order.json")]
        vector = load(args.results, corpus, args.provider, "vector-order")
        text = load(args.results, corpus, args.provider, "text-order")
        if text is None:
            continue
        queries = [Query(v, t) for v, t in zip(vector, text)]
        expected = [q.expected for q in queries]
        print(f"\n## {corpus}, {args.provider}: {len(queries)} queries; document-level MRR@10, "
              f"engine order / with the worker's lexical re-ranking\n")
        for name in ("vector-only", "hybrid"):
            fleet = load(args.results, corpus, args.provider, name)
            if fleet:
                print(f"{'fleet, ' + name + ' (default ranking)':<48} {mrr([[r['id'] for r in f['results']] for f in fleet], expected):.3f}")
        rows = [("vector side alone", lambda q: dict(q.vector)),
                ("text side alone (BM25STD)", lambda q: dict(q.bm25))]
        rows += [(f"linear, text weight {w}", lambda q, w=w: linear(q, w)) for w in (0.01, 0.02, 0.03, 0.05, 0.1)]
        rows += [(f"convex min-max, alpha {a}", lambda q, a=a: convex(q, a, minmax)) for a in (0.5, 0.7, 0.8, 0.9)]
        rows += [(f"convex z-score, alpha {a}", lambda q, a=a: convex(q, a, zscore)) for a in (0.5, 0.7, 0.8, 0.9)]
        rows += [(f"rrf k {k}, text weight {w}", lambda q, k=k, w=w: rrf(q, k, w)) for k in (5, 20, 60) for w in (0.3, 1.0)]
        for name, fuse in rows:
            fused = [fuse(q) for q in queries]
            plain = mrr([q.order(s, False) for q, s in zip(queries, fused)], expected)
            reranked = mrr([q.order(s, True) for q, s in zip(queries, fused)], expected)
            print(f"{name:<48} {plain:.3f} / {reranked:.3f}")
        for w in (0.02, 0.05):
            docs = [document_level(q, w) for q in queries]
            print(f"{'documents pooled, text weight ' + str(w):<48} {mrr([sorted(d, key=lambda x: -d[x]) for d in docs], expected):.3f} / -")
        # What no fusion of these rankings can beat, even one told each query's best weights.
        both = [max(a, b) for a, b in zip(reciprocal_ranks(queries, lambda q: dict(q.vector)), reciprocal_ranks(queries, lambda q: dict(q.bm25)))]
        print(f"{'per query the better of the two sides alone':<48} {statistics.fmean(both):.3f} / -")
        print(f"{'bound: any fusion rising with both scores':<48} {statistics.fmean(rank_bound(q, 2) for q in queries):.3f} / "
              f"{statistics.fmean(rank_bound(q, 3) for q in queries):.3f}")


if __name__ == "__main__":
    main()
