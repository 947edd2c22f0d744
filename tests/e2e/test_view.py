"""ctrace view (the HTTP server) and the standalone .html output.

Servers listen on 127.0.0.1 only, on a free port, and are stopped by PID."""
import base64
import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import harness
from harness import assert_eq

TRACE = {
    "traceEvents": [
        {"ph": "M", "pid": 1, "tid": 1, "name": "process_name", "args": {"name": "demo"}},
        {"ph": "M", "pid": 1, "tid": 1, "name": "thread_name", "args": {"name": "MainThread"}},
        {"ph": "X", "pid": 1, "tid": 1, "ts": 1.0, "dur": 10.0, "name": "main (/x.py:1)", "cat": "FEE"},
        {"ph": "X", "pid": 1, "tid": 1, "ts": 2.0, "dur": 3.0, "name": "f </script><b>&amp;", "cat": "FEE"},
    ],
    "displayTimeUnit": "ns",
}


def trace_text():
    return json.dumps(TRACE)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`ctrace view -s` on a free port, stopped by PID when done."""

    def __init__(self, path, *extra):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [harness.CTRACE, "view", "-s", "--port", str(self.port)] + list(extra) + [path],
            cwd=harness.WORK, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = None
        line = []
        t = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(20)
        assert line and line[0], "no URL printed; stderr: %r" % self.stderr_now()
        m = re.search(r"(http://\S+?/)", line[0])
        assert m, line[0]
        self.url = m.group(1)
        assert_eq(self.url, "http://127.0.0.1:%d/" % self.port, "printed URL")
        self.line = line[0]

    def stderr_now(self):
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read()

    def get(self, path, headers=None):
        """(status, headers, body bytes) for PATH, sent as it is (no normalising)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def test_routes():
    path = harness.write("t.json", trace_text())
    with Server(path) as s:
        st, h, body = s.get("/")
        assert_eq(st, 200, "/")
        assert h["content-type"].startswith("text/html"), h
        assert b'src="viewer.js"' in body
        for name, ctype in (("viewer.js", "text/javascript"), ("worker.js", "text/javascript"),
                            ("style.css", "text/css"), ("index.html", "text/html")):
            st, h, body = s.get("/" + name)
            assert_eq(st, 200, name)
            assert h["content-type"].startswith(ctype), (name, h)
            assert "content-encoding" not in h, (name, h)
            assert len(body) > 100, name
        st, h, body = s.get("/trace.json")
        assert_eq(st, 200, "trace")
        assert h["content-type"].startswith("application/json"), h
        assert_eq(body, open(path, "rb").read(), "trace bytes")
        for bad in ("/nope", "/t.json", "/files/t.json", "/trace.json/x", "/viewer.js/", "/%00"):
            assert_eq(s.get(bad)[0], 404, bad)
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=20)
        c.request("POST", "/", body=b"x")
        assert_eq(c.getresponse().status, 405, "POST")
        c.close()
        assert_eq(s.stop(), 0, "exit status after Ctrl-C")


def test_gzip():
    path = harness.write("t.json.gz", "")
    with gzip.open(path, "wt") as f:
        f.write(trace_text())
    with Server(path) as s:
        plain = s.get("/viewer.js")[2]
        st, h, body = s.get("/viewer.js", {"Accept-Encoding": "gzip, deflate"})
        assert_eq(h.get("content-encoding"), "gzip", "asset encoding")
        assert_eq(gzip.decompress(body), plain, "gzip asset = plain asset")
        st, h, body = s.get("/viewer.js", {"Accept-Encoding": "gzip;q=0"})
        assert "content-encoding" not in h, h
        # a .json.gz trace is sent as it is to a client that accepts gzip...
        st, h, body = s.get("/trace.json", {"Accept-Encoding": "gzip"})
        assert_eq(h.get("content-encoding"), "gzip", "trace encoding")
        assert_eq(body, open(path, "rb").read(), "gz trace bytes as on disk")
        # ...and inflated on the way for one that does not
        st, h, body = s.get("/trace.json")
        assert "content-encoding" not in h, h
        assert_eq(json.loads(body), TRACE, "inflated trace")


def make_trace_dir():
    d = os.path.join(harness.WORK, "traces")
    os.makedirs(d)
    names = ["old.json", "mid.json.gz", "x<y>&'\".json", "new.json"]
    for k, name in enumerate(names):
        p = os.path.join(d, name)
        if name.endswith(".gz"):
            with gzip.open(p, "wt") as f:
                f.write(trace_text())
        else:
            with open(p, "w") as f:
                f.write(trace_text())
        os.utime(p, (1700000000 + k * 100, 1700000000 + k * 100))
    for other in ("notes.txt", ".hidden.json"):
        with open(os.path.join(d, other), "w") as f:
            f.write(trace_text())
    return d


def test_directory_listing():
    d = make_trace_dir()
    with Server(d) as s:
        st, h, body = s.get("/")
        assert_eq(st, 200, "listing")
        page = body.decode()
        assert "notes.txt" not in page and ".hidden" not in page, page
        assert "x<y>" not in page, "names are escaped"
        order = [page.index(n) for n in ("new.json", "x&lt;y&gt;&amp;&#39;&quot;.json", "mid.json.gz", "old.json")]
        assert order == sorted(order), "newest first: %r" % order
        assert 'href="index.html?trace=files%2Fnew.json"' in page, page
        st, h, body = s.get("/files/new.json")
        assert_eq((st, json.loads(body)), (200, TRACE), "a listed trace")
        st, h, body = s.get("/files/x%3Cy%3E%26%27%22.json")
        assert_eq(st, 200, "a name that needs escaping")
        assert_eq(s.get("/files/notes.txt")[0], 404, "not a trace")
        assert_eq(s.get("/files/.hidden.json")[0], 404, "hidden")
        assert_eq(s.get("/trace.json")[0], 404, "no single trace in a directory")
        # files added later appear on reload
        with open(os.path.join(d, "later.json"), "w") as f:
            f.write(trace_text())
        assert "later.json" in s.get("/")[2].decode()
        assert_eq(s.get("/index.html")[0], 200, "viewer page")


def test_traversal():
    d = make_trace_dir()
    secret = harness.write("secret.json", trace_text())
    os.makedirs(os.path.join(d, "sub.json"))
    harness.write("traces/sub.json/inner.json", trace_text())
    os.symlink(secret, os.path.join(d, "link-out.json"))
    os.symlink(os.path.join(d, "new.json"), os.path.join(d, "link-in.json"))
    with Server(d) as s:
        page = s.get("/")[2].decode()
        assert "link-out" not in page and "link-in.json" in page, page
        assert_eq(s.get("/files/link-in.json")[0], 200, "symlink inside")
        for bad in ("/files/link-out.json", "/files/../secret.json", "/files/..%2fsecret.json",
                    "/files/..%2Fsecret.json", "/files/%2e%2e%2fsecret.json", "/../secret.json",
                    "/files/sub.json%2finner.json", "/files/sub.json/inner.json", "/files/..",
                    "/files/", "/files/%2e%2e", "/%2e%2e/secret.json", "//etc/passwd",
                    "/files//etc/passwd", "/files/%2fetc%2fpasswd"):
            st = s.get(bad)[0]
            assert st in (400, 404), "%s gave %d" % (bad, st)
    with Server(secret) as s:
        for bad in ("/../secret.json", "/..%2fsecret.json", "/trace.json/../secret.json",
                    "/files/secret.json", "/secret.json", "/%2e%2e/traces/new.json"):
            st = s.get(bad)[0]
            assert st in (400, 404), "%s gave %d" % (bad, st)


def test_flamegraph():
    path = harness.write("t.json", trace_text())
    with Server(path, "--flamegraph") as s:
        assert "http://127.0.0.1:%d/?view=flame " % s.port in s.line, s.line
    html = harness.write("t.html", "<!DOCTYPE html>\n<html><body>x</body></html>\n")
    with Server(html, "--flamegraph") as s:
        assert "/#flame " in s.line, s.line
        assert_eq(s.get("/")[2], open(html, "rb").read(), "an .html trace is served as it is")
    d = make_trace_dir()
    with Server(d, "--flamegraph") as s:
        page = s.get("/")[2].decode()
        assert 'href="index.html?trace=files%2Fnew.json&amp;view=flame"' in page, page


def test_once():
    path = harness.write("t.json", trace_text())
    s = Server(path, "--once")
    try:
        assert_eq(s.get("/")[0], 200, "page")
        assert_eq(s.get("/viewer.js")[0], 200, "script")
        time.sleep(0.5)
        assert s.proc.poll() is None, "still serving before the trace was fetched"
        assert_eq(s.get("/trace.json")[0], 200, "trace")
        assert_eq(s.proc.wait(10), 0, "exit after the trace was served")
    finally:
        s.stop()


def test_port_in_use():
    path = harness.write("t.json", trace_text())
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        r = harness.run(["view", "-s", "--port", str(port), path], timeout=20)
    assert_eq(r.returncode, 1, "status")
    lines = r.stderr.strip().splitlines()
    assert_eq(len(lines), 1, "one line: %r" % r.stderr)
    assert lines[0].startswith("ctrace: ") and "already in use" in lines[0] and "--port" in lines[0], lines


def test_not_a_trace():
    cases = {
        "notes.json": "hello, this is not JSON",
        "config.json": '{"name": "x", "values": [1, 2]}',
        "notes.txt": trace_text(),
        "page.html": "just text",
    }
    for name, text in cases.items():
        harness.write(name, text)
    with open(os.path.join(harness.WORK, "bad.json.gz"), "wb") as f:
        f.write(b"\x1f\x8bnot really gzip")
    for name in list(cases) + ["bad.json.gz", "missing.json"]:
        r = harness.run(["view", "-s", "--port", str(free_port()), name], timeout=20)
        assert_eq(r.returncode, 1, name)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("ctrace: ") and name in lines[0], (name, r.stderr)
    r = harness.run(["view"], timeout=20)
    assert_eq(r.returncode, 2, "no path is a usage error")
    r = harness.run(["view", "--port", "70000", "x.json"], timeout=20)
    assert_eq(r.returncode, 2, "bad port is a usage error")
    r = harness.run(["view", "--help"], timeout=20)
    assert r.returncode == 0 and "--server-only" in r.stdout


def html_payload(text):
    """The trace inside a standalone .html page, decoded as the page does."""
    m = re.search(r'<script id="ctrace-data" type="application/octet-stream">(.*?)</script>', text, re.S)
    assert m, "no data element"
    return json.loads(gzip.decompress(base64.b64decode("".join(m.group(1).split()))))


def test_html_output():
    script = harness.write("evil.py", (
        "def f():\n    pass\n"
        "g = lambda: None\n"
        "g.__qualname__ = '</script><script>alert(1)</script><!--'\n"
        "g.__code__ = g.__code__.replace(co_qualname='</script><script>alert(1)</script><!--')\n"
        "f(); g()\n"))
    r = harness.run(["run", "-o", "out.html", script])
    assert_eq(r.returncode, 0, r.stderr)
    text = open(os.path.join(harness.WORK, "out.html"), encoding="utf-8").read()
    assert text.startswith("<!DOCTYPE html>"), text[:50]
    # three script elements (worker source, data, viewer): nothing else closes one
    assert_eq(len(re.findall(r"</script", text, re.I)), 3, "script end tags")
    assert "<!--" not in text.split('id="ctrace-data"')[1], "no comment opener after the data starts"
    trace = html_payload(text)
    harness.check_format(trace)
    names = {e["name"] for e in harness.slices(trace)}
    assert any("alert(1)" in n for n in names), "the hostile name is in the trace"
    assert any(n.startswith("f (") for n in names), names
    # the same trace as -o out.json
    r = harness.run(["run", "-o", "out.json", script])
    assert_eq(r.returncode, 0, r.stderr)
    assert_eq(len(harness.slices(harness.load("out.json"))), len(harness.slices(trace)), "same events")
    # ctrace view serves the page itself
    with Server(os.path.join(harness.WORK, "out.html"), "--once") as s:
        st, h, body = s.get("/")
        assert_eq(st, 200, "page")
        assert h["content-type"].startswith("text/html"), h
        assert_eq(body.decode("utf-8"), text, "served as written")
        assert_eq(s.proc.wait(10), 0, "--once after the page")


def test_sigterm_and_sigint():
    path = harness.write("t.json", trace_text())
    for sig in (signal.SIGTERM, signal.SIGINT):
        s = Server(path)
        assert_eq(s.get("/")[0], 200, "serving")
        s.proc.send_signal(sig)
        assert_eq(s.proc.wait(10), 0, "clean exit on %s" % sig)
        assert_eq(s.proc.stderr.read(), "", "nothing on stderr")


def test_run_open():
    """ctrace run --open serves the trace to the browser (a fake xdg-open that
    fetches the page and the trace) and then exits with the script's status."""
    bindir = os.path.join(harness.WORK, "bin")
    os.makedirs(bindir)
    fake = os.path.join(bindir, "xdg-open")
    log = os.path.join(harness.WORK, "opened.txt")
    with open(fake, "w") as f:
        f.write("#!%s\nimport sys, urllib.request\nurl = sys.argv[1]\n"
                "page = urllib.request.urlopen(url).read()\n"
                "trace = urllib.request.urlopen(url + 'trace.json').read()\n"
                "open(%r, 'w').write(url + ' %%d %%d' %% (len(page), len(trace)))\n" % (sys.executable, log))
    os.chmod(fake, 0o755)
    script = harness.write("s.py", "def f():\n    return 1\nf()\nraise SystemExit(3)\n")
    r = harness.run(["run", "--open", "-o", "o.json", script],
                    env={"PATH": bindir + os.pathsep + os.environ.get("PATH", "")}, timeout=60)
    assert_eq(r.returncode, 3, "the script's status: " + r.stderr)
    opened = open(log).read().split()
    assert opened[0].startswith("http://127.0.0.1:"), opened
    assert_eq(int(opened[2]), os.path.getsize(os.path.join(harness.WORK, "o.json")), "trace served")


harness.main(globals())
