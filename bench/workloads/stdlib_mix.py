"""A mix of standard-library work: json, re, dataclasses, sqlite3."""
import dataclasses
import json
import re
import sqlite3

import _bench


@dataclasses.dataclass
class Row:
    id: int
    name: str
    score: float


WORD = re.compile(r"[a-z]+(\d+)")


def main():
    rows = [Row(i, "name%d" % i, i * 0.5) for i in range(20000)]
    blob = json.dumps([dataclasses.asdict(r) for r in rows])
    back = [Row(**d) for d in json.loads(blob)]
    found = sum(int(m.group(1)) for r in back for m in [WORD.match(r.name)] if m)
    db = sqlite3.connect(":memory:")
    db.execute("create table t (id integer, name text, score real)")
    db.executemany("insert into t values (?, ?, ?)", [dataclasses.astuple(r) for r in back])
    total = db.execute("select sum(score) from t").fetchone()[0]
    db.close()
    assert found > 0 and total > 0


if __name__ == "__main__":
    _bench.run(main)
