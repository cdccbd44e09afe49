"""Replaces one '## ' section of docs/benchmarks.md (or appends it): docs_section.py FILE TITLE < body."""
import re
import sys

path, title = sys.argv[1], sys.argv[2]
body = sys.stdin.read().strip() + "\n"
text = open(path).read()
pattern = re.compile(r"^## " + re.escape(title) + r"\n.*?(?=^## |\Z)", re.S | re.M)
section = f"## {title}\n\n{body}\n"
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
