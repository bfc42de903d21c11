#!/usr/bin/env python3
"""Prepares WARAS's OpenAPI document for clients/generate.sh.

    prepare_spec.py normalise  IN OUT   the served document, pretty-printed (2-space indent, key order
                                        kept, UTF-8, trailing newline): what clients/openapi.json holds
    prepare_spec.py python     IN OUT   the generator input of the Python client
    prepare_spec.py typescript IN OUT   the generator input of the TypeScript client

The served document names its operations `<tag>_<handler>` (`sessions_list`), with the last fixed
path segment added where two would clash (`messages_list_chats`). openapi-python-client groups
operations by tag and names each module after its operationId, so a repeat within a tag would
silently overwrite a module: should one appear, the Python input renames it to
`<operationId>_<last fixed path segment>`, and refuses when that is taken too. A request body offered
both as JSON and as multipart/form-data with the same schema (a message send, a campaign) keeps only
its JSON form in the Python input: openapi-python-client would otherwise send every such body as
multipart (both of its branches match the same model). openapi-typescript
puts every operation into one `operations` interface keyed by operationId, where any repeat clashes;
openapi-fetch addresses operations by path and method only, so the TypeScript input drops them.
"""

import json
import sys
from collections import Counter

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(doc):
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def last_fixed_segment(path):
    fixed = [s for s in path.split("/") if s and not s.startswith("{")]
    return fixed[-1].replace("-", "_")


def for_python(doc):
    def key(op):
        return ((op.get("tags") or [""])[0], op.get("operationId"))

    counts = Counter(key(op) for _, _, op in operations(doc) if "operationId" in op)
    renamed = set()
    for path, _, op in operations(doc):
        if "operationId" in op and counts[key(op)] > 1:
            new = f"{op['operationId']}_{last_fixed_segment(path)}"
            tagged = ((op.get("tags") or [""])[0], new)
            if tagged in renamed or tagged in counts:
                sys.exit(f"prepare_spec.py: cannot give {path} a unique operationId ({new} is taken)")
            renamed.add(tagged)
            op["operationId"] = new
    for _, _, op in operations(doc):
        content = op.get("requestBody", {}).get("content", {})
        json_body, multipart = content.get("application/json"), content.get("multipart/form-data")
        if json_body is not None and multipart is not None and json_body.get("schema") == multipart.get("schema"):
            del content["multipart/form-data"]
    return doc


def for_typescript(doc):
    for _, _, op in operations(doc):
        op.pop("operationId", None)
    return doc


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("normalise", "python", "typescript"):
        sys.exit(__doc__)
    mode, src, dst = sys.argv[1:]
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    if mode == "python":
        doc = for_python(doc)
    elif mode == "typescript":
        doc = for_typescript(doc)
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
