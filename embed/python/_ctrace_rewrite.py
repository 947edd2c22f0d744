"""Logs without code change: source rewriting for --log-var, --log-number,
--log-attr, --log-func-exec and --magic-comment.

The user's files (the main script and every module imported from outside the
standard library and site-packages) are parsed with Python's `ast`, given
calls to the logging helpers below after the assignments the options name,
and compiled with their own file name and line numbers, so tracebacks,
`__file__`, `inspect.getsource` and the program's behaviour stay as they
were. A file with nothing to log is compiled as usual (and may use its
`__pycache__`); a rewritten one never reads or writes `__pycache__`. A file
whose rewrite fails runs unchanged, after one warning line.

The injected calls go to this module, reached as the builtin
`__ctrace_log__`; its functions are marked ignored, so they (and the repr()
calls they make) do not show in the trace.
"""
import ast
import bisect
import builtins
import copy
import importlib.machinery as machinery
import importlib.util
import io
import math
import os
import re
import sys
import sysconfig
import tokenize
from _thread import get_ident

import _ctrace

HELPER = "__ctrace_log__"

# What one injected call logs (a bit set).
VAR = 1      # instant "name = repr(value)"
NUMBER = 2   # counter
STEP = 4     # exec_steps of the enclosing --log-func-exec call
ATTR = 8     # instant "obj.x = repr(value)"
SKIP = 4     # kinds >> SKIP: for STEP made in N nested comprehensions, the
             # steps belong N Python calls further out

_opts = None
_quiet = False


def _ignore(fn):
    _ctrace.mark_code(fn.__code__, 0)
    return fn


# ---- what the rewritten code calls ----------------------------------------

@_ignore
def _repr(value):
    try:
        return repr(value)
    except Exception as e:  # a broken __repr__ must not break the program
        return "<repr failed: %s>" % type(e).__name__


@_ignore
def _number(name, value):
    v = value
    if isinstance(v, bool):
        v = int(v)
    elif not isinstance(v, (int, float)):
        try:
            v = float(v) if hasattr(type(v), "__float__") and not isinstance(v, complex) else None
        except Exception:
            v = None
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        _ctrace.log_instant("%s: not a number" % name,
                            {"value": _repr(value), "type": type(value).__qualname__})
        return
    _ctrace.log_counter(name, {name: v})


_untraced = _ctrace.untraced

# Threads inside log(): a __repr__ that assigns logged names (or takes a
# logged parameter) must not log from within the log.
_busy = set()


@_ignore
def log(kinds, name, value, line):
    """VALUE was assigned to NAME on LINE: logs what KINDS ask. Returns VALUE."""
    tid = get_ident()
    if tid in _busy:
        return value
    _busy.add(tid)
    try:
        _untraced(_log, kinds, name, value, line)
    except Exception:
        pass  # logging must never change what the program does
    finally:
        _busy.discard(tid)
    return value


@_ignore
def _log(kinds, name, value, line):
    text = None
    if kinds & (VAR | ATTR):
        text = _repr(value)
        _ctrace.log_instant("%s = %s" % (name, text))
    if kinds & NUMBER:
        _number(name, value)
    if kinds & STEP:
        args = _ctrace.func_args(kinds >> SKIP)
        if args is not None:
            steps = args.get("exec_steps")
            if not isinstance(steps, list):
                steps = args["exec_steps"] = []
            steps.append([name, _repr(value) if text is None else text, line])


# Magic comments: `# !ctrace: log_instant("text")` and friends.

@_ignore
def log_instant(name, args=None, scope="t"):
    _ctrace.log_instant(str(name), args, scope)


@_ignore
def log_var(name, value):
    _ctrace.log_instant("%s = %s" % (name, _repr(value)))


@_ignore
def log_number(name, value):
    _number(str(name), value)


@_ignore
def magic_failed(where):
    """The code of the magic comment at WHERE raised: say so, and go on."""
    e = sys.exc_info()[1]
    _ctrace.log_instant("magic comment failed (%s)" % where,
                        {"error": "%s: %s" % (type(e).__name__, e)})


_MAGIC_CALLS = {"log_instant": "log_instant", "log_var": "log_var", "log_attr": "log_var",
                "log_number": "log_number"}


# ---- options and the user's files -----------------------------------------

class _Options:
    def __init__(self, cfg):
        self.var = self._compile(cfg.get("log_var") or [], "--log-var")
        self.number = self._compile(cfg.get("log_number") or [], "--log-number")
        self.attr = self._compile(cfg.get("log_attr") or [], "--log-attr")
        self.func_exec = self._compile(cfg.get("log_func_exec") or [], "--log-func-exec")
        self.magic = bool(cfg.get("magic_comment"))
        # Patterns a module's plain names must meet for it to be parsed at
        # all (--log-func-exec also sees qualified names: Class.method).
        self.names = self.var + self.number

    @staticmethod
    def _compile(patterns, option):
        out = []
        for p in patterns:
            try:
                out.append(re.compile(p))
            except re.error as e:
                sys.stderr.write("ctrace: invalid regular expression '%s' for '%s': %s\n"
                                 % (p, option, e))
                sys.stderr.flush()
                os._exit(2)
        return out


def _system_dirs():
    dirs = set()
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            dirs.add(paths[key])
    dirs.add(os.path.dirname(os.__file__))
    out = set()
    for d in dirs:
        for v in (os.path.abspath(d), os.path.realpath(d)):
            out.add(v.rstrip(os.sep) + os.sep)
    return tuple(sorted(out))


_SYSTEM = ()


def is_user_path(path):
    """Whether PATH (a file or folder) is the user's: not the standard
    library, not site-packages, not a frozen or embedded module."""
    if not path or path.startswith("<"):
        return False
    p = os.path.abspath(path)
    if "site-packages" in p or "dist-packages" in p:
        return False
    return not (p + os.sep).startswith(_SYSTEM)


def _warn(msg):
    if not _quiet:
        try:
            sys.stderr.write("ctrace: %s\n" % msg)
            sys.stderr.flush()
        except Exception:
            pass


# ---- magic comments (on the text, before parsing) ---------------------------

_MAGIC_RE = re.compile(r"#\s*!(?:ctrace|viztracer):\s*(.*?)\s*$")
_LOG_IF_RE = re.compile(r"log(?:\s+if\s+(.+))?$", re.S)


def _parse_magic(body):
    """(code or None for 'log', condition or None), both Python source."""
    m = _LOG_IF_RE.match(body)
    if m:
        cond = m.group(1)
        if cond is not None:
            ast.parse(cond, mode="eval")  # SyntaxError: reported by the caller
        return None, cond
    expr, cond = None, None
    try:
        expr = ast.parse(body, mode="eval").body
    except SyntaxError:
        for m in re.finditer(r"\sif\s", body):
            try:
                expr = ast.parse(body[:m.start()], mode="eval").body
                cond = body[m.end():].strip()
                ast.parse(cond, mode="eval")
                break
            except SyntaxError:
                expr, cond = None, None
    # One call, or several separated by commas (a tuple of calls).
    calls = expr.elts if isinstance(expr, ast.Tuple) else [expr]
    for c in calls:
        if not (isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                and c.func.id in _MAGIC_CALLS):
            raise SyntaxError("not a ctrace magic comment: %r" % body)
        c.func = ast.Attribute(ast.Name(HELPER, ast.Load()), _MAGIC_CALLS[c.func.id],
                               ast.Load())
    return ast.unparse(expr), cond


def _apply_magic(text, problems):
    """Finds the magic comments. Those on lines of their own become a
    marker call `__ctrace_log__.magic(i)` in their place, so that the parser
    puts them in the right block. Returns (new text, {line: (code or None
    for 'log', condition or None)} of the comments that follow code, [(code,
    condition)] of the markers)."""
    lines = text.splitlines(keepends=True)
    inline = {}
    own = []
    depth = 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.OP:
            if tok.string in "([{":
                depth += 1
            elif tok.string in ")]}":
                depth -= 1
            continue
        if tok.type != tokenize.COMMENT:
            continue
        m = _MAGIC_RE.match(tok.string)
        if not m:
            continue
        row, col = tok.start
        try:
            call, cond = _parse_magic(m.group(1))
        except SyntaxError as e:
            problems.append("line %d: %s" % (row, e.msg if e.msg else e))
            continue
        line = lines[row - 1]
        if line[:col].strip():
            inline[row] = (call, cond)  # the syntax tree's part
            continue
        if call is None:
            problems.append("line %d: '# !ctrace: log' must follow code on its line" % row)
            continue
        if depth:
            problems.append("line %d: magic comment inside brackets" % row)
            continue
        end = line[len(line.rstrip("\r\n")):]
        lines[row - 1] = line[:col] + "%s.magic(%d)" % (HELPER, len(own)) + end
        own.append((call, cond))
    return "".join(lines), inline, own


# ---- the syntax tree ------------------------------------------------------

def _simple(node):
    """Whether NODE can be evaluated again without side effects worth
    noticing: a name, or attributes and constant/name subscripts of one."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Attribute):
        return _simple(node.value)
    if isinstance(node, ast.Subscript):
        s = node.slice
        if isinstance(s, ast.UnaryOp) and isinstance(s.operand, ast.Constant):
            s = s.operand
        return _simple(node.value) and isinstance(s, (ast.Constant, ast.Name))
    return False


def _targets(node):
    """What statement NODE assigns to (the 'log' of a magic comment)."""
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        return [node.target] if getattr(node, "value", None) is not None else []
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [i.optional_vars for i in node.items if i.optional_vars]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [ast.Name(node.name, ast.Store())]
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.NamedExpr):
        return [node.value.target]
    return []


def _is_marker(node):
    """Whether NODE is the `__ctrace_log__.magic(i)` of a magic comment."""
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return False
    f = node.value.func
    return (isinstance(f, ast.Attribute) and f.attr == "magic"
            and isinstance(f.value, ast.Name) and f.value.id == HELPER)


_SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _hoist(stmts):
    """STMTS, the body of a module, def or class, with the magic comment
    markers at its start moved after its docstring and `from __future__`
    imports, which must stay first."""
    doc, future, markers = [], [], []
    k = 0
    for k, s in enumerate(stmts):
        if _is_marker(s):
            markers.append(s)
        elif (not doc and not future and isinstance(s, ast.Expr)
              and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)):
            doc.append(s)
        elif isinstance(s, ast.ImportFrom) and s.module == "__future__":
            future.append(s)
        else:
            break
    else:
        k = len(stmts)
    if not markers:
        return stmts
    return doc + future + markers + stmts[k:]


def _docstring(node):
    """Whether NODE (a def or class) starts with a docstring."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    first = node.body[0]
    return (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str))


def _unlocate(nodes):
    """Drops the positions of NODES (parsed elsewhere) for _locate."""
    for root in nodes:
        for n in ast.walk(root):
            if "lineno" in n._attributes and hasattr(n, "lineno"):
                del n.lineno


def _load(node):
    node = copy.deepcopy(node)
    for n in ast.walk(node):
        if hasattr(n, "ctx"):
            n.ctx = ast.Load()
    return node


def _locate(node, like):
    """Gives LIKE's position to the nodes of NODE that have none."""
    for n in ast.walk(node):
        if "lineno" in n._attributes and not hasattr(n, "lineno"):
            n.lineno = like.lineno
            n.col_offset = like.col_offset
            n.end_lineno = getattr(like, "end_lineno", like.lineno)
            n.end_col_offset = getattr(like, "end_col_offset", like.col_offset)
    return node


class _Rewriter(ast.NodeTransformer):
    def __init__(self, opts, inline, own, walrus, path):
        self.o = opts
        self.inline = inline      # {line: (code or None, condition or None)}
        self.own = own            # [(code, condition)] of the magic() markers
        self.where = os.path.basename(path)
        self.walrus = walrus      # sorted lines that may hold a := to log
        self.changed = 0
        self.fexec = False        # in the body of a --log-func-exec function
        self.comp = 0             # depth of comprehensions (their own frames)
        self.qual = []
        self._kinds = {}

    # -- the walk: statements only, expressions when they may hold a :=

    def generic_visit(self, node):
        if not isinstance(node, (ast.stmt, ast.mod, ast.excepthandler, ast.match_case)):
            return super().generic_visit(node)
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                if value and isinstance(value[0], ast.stmt):
                    if self.own and field == "body" and isinstance(node, _SCOPES):
                        value = _hoist(value)
                    setattr(node, field, self.visit_body(value))
                elif value and isinstance(value[0], ast.excepthandler):
                    for h in value:
                        self.visit(h)
                elif value and isinstance(value[0], ast.match_case):
                    for h in value:
                        self.generic_visit(h)
                elif self.walrus:
                    value[:] = [self.visit(v) if self.may_walrus(v) else v for v in value]
            elif self.walrus and self.may_walrus(value):
                setattr(node, field, self.visit(value))
        return node

    def may_walrus(self, node):
        """Whether NODE, an expression (or arguments, keyword...), spans a
        line with a := in it."""
        if not isinstance(node, ast.AST):
            return False
        start = getattr(node, "lineno", None)
        if start is None:
            return True
        i = bisect.bisect_left(self.walrus, start)
        return i < len(self.walrus) and self.walrus[i] <= node.end_lineno

    def visit_body(self, stmts):
        out = []
        for s in stmts:
            if self.own and _is_marker(s):
                out += self.magic_code(s, *self.own[s.value.args[0].value])
                continue
            magic = self.inline and self.pop_magic(s)
            r = self.visit(s)
            r = r if isinstance(r, list) else [r]
            if magic:
                code = self.magic_code(s, *magic)
                if hasattr(s, "body"):  # a compound statement: its header's
                    at = 1 if _docstring(s) else 0
                    s.body[at:at] = code
                elif isinstance(s, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
                    r = code + r
                else:
                    r = r + code
            out += r
        return out

    # -- inline magic comments: '<code>  # !ctrace: log' and the like

    def pop_magic(self, node):
        """The inline magic comment on NODE's own lines (for a compound
        statement, its header's), taken out of self.inline; or None."""
        last = node.body[0].lineno - 1 if hasattr(node, "body") else node.end_lineno
        for line in range(node.lineno, last + 1):
            if line in self.inline:
                return self.inline.pop(line)
        return None

    def magic_code(self, node, call, cond):
        """The statements of an inline magic comment on NODE."""
        if call is None:
            # 'log': the values the statement assigns, else that it ran.
            logs = []
            for t in _targets(node):
                logs += self.target_logs(t, magic=True)
            code = self.readback(logs, node.lineno)
            if not code:
                code = [ast.Expr(ast.Call(
                    ast.Attribute(ast.Name(HELPER, ast.Load()), "log_instant", ast.Load()),
                    [ast.Constant("%s:%d" % (self.where, node.lineno))], []))]
        else:
            code = ast.parse(call).body
            _unlocate(code)
        if cond:
            test = ast.parse(cond, mode="eval").body
            _unlocate([test])
            code = [ast.If(test, code, [])]
        if call is not None or cond:
            # The comment's own code may fail (a name that is not there):
            # an event says so, the program goes on.
            failed = ast.Expr(ast.Call(
                ast.Attribute(ast.Name(HELPER, ast.Load()), "magic_failed", ast.Load()),
                [ast.Constant("%s:%d" % (self.where, node.lineno))], []))
            code = [ast.Try(code, [ast.ExceptHandler(ast.Name("Exception", ast.Load()), None,
                                                     [failed])], [], [])]
        for c in code:
            _locate(c, node)
        self.changed += len(code)
        return code

    # -- what to log

    def name_kinds(self, name):
        k = self._kinds.get(name)
        if k is None:
            k = 0
            if any(r.search(name) for r in self.o.var):
                k |= VAR
            if any(r.search(name) for r in self.o.number):
                k |= NUMBER
            self._kinds[name] = k
        return k | (STEP if self.fexec else 0)

    def attr_kinds(self, target):
        k = STEP if self.fexec else 0
        if self.o.attr:
            text = ast.unparse(target)
            if any(r.search(target.attr) or r.search(text) for r in self.o.attr):
                k |= ATTR
        return k

    def call(self, kinds, name, value, line):
        return ast.Call(ast.Attribute(ast.Name(HELPER, ast.Load()), "log", ast.Load()),
                        [ast.Constant(kinds), ast.Constant(name), value, ast.Constant(line)],
                        [])

    def wrap(self, kinds, name, value, line):
        """VALUE, logged as it is assigned."""
        self.changed += 1
        return _locate(self.call(kinds, name, value, line), value)

    def target_logs(self, target, magic=False):
        """[(kinds, text, load expression)] for what TARGET binds that is to
        be logged (read back after the assignment)."""
        out = []
        if isinstance(target, ast.Name):
            k = VAR if magic else self.name_kinds(target.id)
            if k:
                out.append((k, target.id, ast.Name(target.id, ast.Load())))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for e in target.elts:
                out += self.target_logs(e, magic)
        elif isinstance(target, ast.Starred):
            out += self.target_logs(target.value, magic)
        elif isinstance(target, ast.Attribute):
            k = ATTR if magic else self.attr_kinds(target)
            if k and _simple(target.value):
                out.append((k, ast.unparse(target), _load(target)))
        elif isinstance(target, ast.Subscript) and magic and _simple(target):
            out.append((VAR, ast.unparse(target), _load(target)))
        return out

    def readback(self, logs, line):
        out = []
        for k, text, expr in logs:
            s = ast.Expr(self.call(k, text, expr, line))
            if not isinstance(expr, ast.Name):
                # Reading an attribute back may fail (a property, __slots__):
                # that must not reach the program.
                s = ast.Try([s], [ast.ExceptHandler(ast.Name("Exception", ast.Load()), None,
                                                    [ast.Pass()])], [], [])
            out.append(s)
        return out

    def logs_after(self, node, logs):
        """The statements that log LOGS, read back after NODE."""
        stmts = self.readback(logs, node.lineno)
        for s in stmts:
            _locate(s, node)
        self.changed += len(stmts)
        return stmts

    # -- statements

    def visit_Assign(self, node):
        self.generic_visit(node)
        logs = []
        for t in node.targets:
            if isinstance(t, ast.Attribute):
                k = self.attr_kinds(t)
                if k:
                    node.value = self.wrap(k, ast.unparse(t), node.value, node.lineno)
            else:
                logs += self.target_logs(t)
        return [node] + self.logs_after(node, logs)

    def visit_AnnAssign(self, node):
        self.generic_visit(node)
        if node.value is None:
            return node
        logs = []
        t = node.target
        if isinstance(t, ast.Attribute):
            k = self.attr_kinds(t)
            if k:
                node.value = self.wrap(k, ast.unparse(t), node.value, node.lineno)
        else:
            logs = self.target_logs(t)
        return [node] + self.logs_after(node, logs)

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        return [node] + self.logs_after(node, self.target_logs(node.target))

    def _body_logs(self, node, targets):
        self.generic_visit(node)
        logs = []
        for t in targets:
            logs += self.target_logs(t)
        node.body[0:0] = self.logs_after(node, logs)
        return node

    def visit_For(self, node):
        return self._body_logs(node, [node.target])

    visit_AsyncFor = visit_For

    def visit_With(self, node):
        return self._body_logs(node, [i.optional_vars for i in node.items if i.optional_vars])

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node):
        magic = self.inline and self.pop_magic(node)
        self.generic_visit(node)
        if node.name:
            logs = self.target_logs(ast.Name(node.name, ast.Store()))
            node.body[0:0] = self.logs_after(node, logs)
        if magic:
            node.body[0:0] = self.magic_code(node, *magic)
        return node

    def visit_ListComp(self, node):
        # A := in a comprehension binds in the function around it, from
        # the comprehension's own frame.
        self.comp += 1
        self.generic_visit(node)
        self.comp -= 1
        return node

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    def visit_NamedExpr(self, node):
        self.generic_visit(node)
        k = self.name_kinds(node.target.id)
        if not k:
            return node
        if k & STEP:
            k |= self.comp << SKIP
        return self.wrap(k, node.target.id, node, node.lineno)

    def visit_FunctionDef(self, node):
        qual = ".".join(self.qual + [node.name])
        saved = self.fexec
        self.fexec = any(r.search(node.name) or r.search(qual) for r in self.o.func_exec)
        self.qual += [node.name, "<locals>"]
        self.generic_visit(node)
        self.qual[-2:] = []
        self.fexec = saved
        # The parameters, logged on entry (after the docstring).
        a = node.args
        params = a.posonlyargs + a.args + ([a.vararg] if a.vararg else []) + a.kwonlyargs + \
            ([a.kwarg] if a.kwarg else [])
        logs = []
        for p in params:
            k = self.name_kinds(p.arg) & (VAR | NUMBER)
            if k:
                logs.append((k, p.arg, ast.Name(p.arg, ast.Load())))
        if logs:
            stmts = [_locate(s, node.body[0]) for s in self.readback(logs, node.lineno)]
            at = 1 if _docstring(node) else 0
            node.body[at:at] = stmts
            self.changed += len(stmts)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        saved = self.fexec
        self.fexec = False
        self.qual.append(node.name)
        self.generic_visit(node)
        self.qual.pop()
        self.fexec = saved
        return node

    def visit_Lambda(self, node):
        saved = self.fexec
        self.fexec = False
        self.generic_visit(node)
        self.fexec = saved
        return node


# ---- rewriting one file -----------------------------------------------------

_IDENT_RE = re.compile(rb"[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*")


def _worth_parsing(data):
    o = _opts
    if o.magic and (b"!ctrace:" in data or b"!viztracer:" in data):
        return True
    if o.attr or o.func_exec:
        return True
    if o.names:
        for ident in set(_IDENT_RE.findall(data)):
            s = ident.decode("utf-8", "replace")
            if any(r.search(s) for r in o.names):
                return True
    return False


def rewrite(data, path):
    """The code of the file PATH (source bytes DATA) with the logs added, or
    None when there is nothing to log. Raises on failure."""
    if _opts is None or not _worth_parsing(data):
        return None
    text = importlib.util.decode_source(data)
    problems = []
    inline = {}
    own = []
    if _opts.magic and ("!ctrace:" in text or "!viztracer:" in text):
        text, inline, own = _apply_magic(text, problems)
    tree = ast.parse(text, path)
    walrus = []
    if ":=" in text:
        walrus = [i for i, l in enumerate(text.splitlines(), 1) if ":=" in l]
    r = _Rewriter(_opts, inline, own, walrus, path)
    tree = r.visit(tree)
    for line in sorted(r.inline):
        problems.append("line %d: no statement of its own for the magic comment" % line)
    if problems:
        more = " (and %d more)" % (len(problems) - 1) if len(problems) > 1 else ""
        _warn("magic comment ignored in '%s': %s%s" % (path, problems[0], more))
    if not r.changed:
        return None
    # Every node added has a position (_locate): no fix_missing_locations.
    return compile(tree, path, "exec", dont_inherit=True)


@_ignore
def rewrite_or_warn(data, path):
    """rewrite(), or None after one warning line when it fails."""
    try:
        return rewrite(data, path)
    except SyntaxError as e:
        # python3 reports syntax errors of the file itself; warn only when
        # the rewritten text is at fault.
        try:
            compile(data, path, "exec", dont_inherit=True)
        except Exception:
            return None
        _warn("cannot rewrite '%s': line %s: %s; it runs unchanged" % (path, e.lineno, e.msg))
    except Exception as e:
        _warn("cannot rewrite '%s': %s: %s; it runs unchanged" % (path, type(e).__name__, e))
    return None


# ---- hooks: imported modules, runpy, the main script ------------------------

class _Loader(machinery.SourceFileLoader):
    """A source loader that rewrites, and then bypasses __pycache__."""

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        return _ctrace.untraced(self._get_code, fullname, path)

    def _get_code(self, fullname, path):
        try:
            data = self.get_data(path)
        except OSError:
            data = None
        code = None if data is None else rewrite_or_warn(data, path)
        return super().get_code(fullname) if code is None else code


_ignore(_Loader.get_code)

_LOADERS = None


def _path_hook(path):
    folder = path or os.getcwd()
    if not is_user_path(folder) or not os.path.isdir(folder):
        raise ImportError("not a folder of the user's")
    return machinery.FileFinder(path, *_LOADERS)


_ignore(_path_hook)


def _patch_runpy():
    import runpy
    original = getattr(runpy, "_get_code_from_file", None)
    if original is None:
        return

    def _get_code_from_file(run_name, fname):
        path = os.path.abspath(os.fsdecode(fname))
        if is_user_path(path):
            try:
                with io.open_code(path) as f:
                    data = f.read()
            except OSError:
                data = None
            if data is not None and data[:4] != importlib.util.MAGIC_NUMBER:
                code = _ctrace.untraced(rewrite_or_warn, data, fname)
                if code is not None:
                    return code, fname
        return original(run_name, fname)

    _ignore(_get_code_from_file)
    runpy._get_code_from_file = _get_code_from_file


def install(cfg):
    """Installs the rewriting for the options in CFG (_ctrace.config())."""
    global _opts, _quiet, _SYSTEM, _LOADERS
    _opts = _Options(cfg)
    _quiet = bool(cfg.get("quiet"))
    _SYSTEM = _system_dirs()
    _LOADERS = [(machinery.ExtensionFileLoader, machinery.EXTENSION_SUFFIXES),
                (_Loader, machinery.SOURCE_SUFFIXES),
                (machinery.SourcelessFileLoader, machinery.BYTECODE_SUFFIXES)]
    builtins.__ctrace_log__ = sys.modules[__name__]
    hooks = sys.path_hooks
    at = len(hooks)
    for i, h in enumerate(hooks):
        if "FileFinder" in getattr(h, "__qualname__", ""):
            at = i
            break
    hooks.insert(at, _path_hook)
    for key in list(sys.path_importer_cache):
        if is_user_path(key or os.getcwd()):
            del sys.path_importer_cache[key]
    _patch_runpy()


def main_code(target):
    """The rewritten code of the main script TARGET, with __main__ and
    sys.path set as python3 sets them before running a file; None to let
    python3 run it as it is (nothing to log, a folder or zip, a failure)."""
    if _opts is None or os.path.isdir(target):
        return None
    try:
        with io.open_code(target) as f:
            data = f.read()
    except OSError:
        return None  # python3 reports it
    if data[:4] == importlib.util.MAGIC_NUMBER or data[:2] == b"PK":
        return None
    filename = target if os.path.isabs(target) else os.path.join(os.getcwd(), target)
    code = rewrite_or_warn(data, filename)
    if code is None:
        return None
    main = sys.modules["__main__"]
    main.__file__ = filename
    main.__cached__ = None
    main.__loader__ = machinery.SourceFileLoader("__main__", filename)
    if not getattr(sys.flags, "safe_path", False):
        sys.path.insert(0, os.path.dirname(os.path.realpath(target)))
    return code
