"""Code fingerprints by meaning: a function, and every project definition it reaches, hashed as their AST.

A part's cache key must change when the code it runs changes, and only then. So the key holds, for the part's
function and each function, class or constant it reaches through the project's own modules, a hash of its
syntax tree without docstrings: comments, docstrings and formatting do not count, and an edit to a function
the part never calls does not rerun it. Module-level statements that are not definitions (a matplotlib style,
an environment variable) count for every part that uses that module. Names of other libraries are recorded
as the top-level modules they come from, so that their versions can enter the key.

What it cannot see: calls made through names built at run time (getattr, importlib). Parts do not do that.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import inspect
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _strip_docstrings(node: ast.AST) -> ast.AST:
    """A copy of node in which no function, class or module body starts with a docstring."""
    node = copy.deepcopy(node)
    for n in ast.walk(node):
        if isinstance(n, (*DEFINITIONS, ast.Module)) and n.body:
            first = n.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                n.body = n.body[1:] or ([] if isinstance(n, ast.Module) else [ast.Pass()])
    return node


def meaning_hash(node: ast.AST) -> str:
    """sha256 (16 hex digits) of a node's syntax tree without docstrings, positions or comments."""
    dump = ast.dump(_strip_docstrings(node), annotate_fields=True, include_attributes=False)
    return hashlib.sha256(dump.encode()).hexdigest()[:16]


@dataclass
class Module:
    """One project module, parsed: its top-level definitions, its import bindings, its other statements."""

    name: str
    is_package: bool
    definitions: dict[str, ast.AST] = field(default_factory=dict)    # name -> FunctionDef/ClassDef/Assign
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)   # local -> (module, attribute)
    body_hash: str | None = None           # of the statements that are neither definitions nor imports


def _import_bindings(nodes, module: str, is_package: bool) -> dict[str, tuple[str, str | None]]:
    """Local name -> (module, attribute or None) for the import statements among nodes."""
    out = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = (alias.name, None)
                else:
                    top = alias.name.split(".")[0]
                    out[top] = (top, None)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(p for p in [*parts, base] if p)
            for alias in node.names:
                if alias.name != "*":
                    out[alias.asname or alias.name] = (base, alias.name)
    return out


def _assigned_names(node: ast.AST) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _references(node: ast.AST) -> list[list[str]]:
    """Dotted name chains read inside node: `a.b.c(...)` -> ["a", "b", "c"], `x` -> ["x"]."""
    chains, inner = [], set()
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute):
            chain, cur = [], n
            while isinstance(cur, ast.Attribute):
                chain.append(cur.attr)
                inner.add(id(cur.value))
                cur = cur.value
            if isinstance(cur, ast.Name) and id(n) not in inner:
                chains.append([cur.id, *reversed(chain)])
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and id(n) not in inner:
            chains.append([n.id])
    return chains


def definition_source(lines: list[str], node: ast.AST) -> str:
    """The source text of a top-level definition, decorators included, from its module's lines."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
    return "\n".join(lines[start:node.end_lineno])


class CodeIndex:
    """Fingerprints of the code under `root` that belongs to `packages` (e.g. ("hw5", "experiments"))."""

    def __init__(self, root: Path, packages: tuple[str, ...]):
        self.root, self.packages = root, tuple(packages)
        self._modules: dict[str, Module | None] = {}

    # ------------------------------------------------------------ modules
    def _file(self, name: str) -> tuple[Path, bool] | None:
        if name.split(".")[0] not in self.packages:
            return None
        base = self.root.joinpath(*name.split("."))
        if (base / "__init__.py").is_file():
            return base / "__init__.py", True
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py"), False
        return None

    def module(self, name: str) -> Module | None:
        """The parsed project module `name`, or None if it is not a project module."""
        if name not in self._modules:
            found = self._file(name)
            self._modules[name] = None if found is None else self._parse(name, *found)
        return self._modules[name]

    def _parse(self, name: str, path: Path, is_package: bool) -> Module:
        tree = ast.parse(path.read_text(), filename=str(path))
        mod = Module(name, is_package)
        mod.imports = _import_bindings(tree.body, name, is_package)
        rest = []
        for node in tree.body:
            if isinstance(node, DEFINITIONS):
                mod.definitions[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and _assigned_names(node):
                for target in _assigned_names(node):
                    mod.definitions[target] = node
            elif not isinstance(node, (ast.Import, ast.ImportFrom)):
                rest.append(node)
        body = _strip_docstrings(ast.Module(body=rest, type_ignores=[]))
        mod.body_hash = meaning_hash(body) if body.body else None
        return mod

    # ------------------------------------------------------------ resolution
    def _resolve(self, module: str, chain: list[str], local_imports: dict, found: set, externals: set) -> None:
        """Follow one dotted chain read in `module`; add what it names to found / externals."""
        mod = self.module(module)
        head = chain[0]
        if head in local_imports or head in mod.imports:
            target, attr = local_imports.get(head) or mod.imports[head]
            self._resolve_import(target, [attr, *chain[1:]] if attr else chain[1:], found, externals)
        elif head in mod.definitions:
            found.add((module, head))

    def _resolve_import(self, target: str, names: list[str], found: set, externals: set) -> None:
        """The definition that `target` (a module name) followed by attribute `names` refers to."""
        if self.module(target.split(".")[0]) is None:
            externals.add(target.split(".")[0])
            return
        if self.module(target) is None:                  # `from package import name` of a missing module
            return
        found.update(_bodies(target))
        for i, name in enumerate(names):
            mod = self.module(target)
            if name in mod.definitions:
                found.add((target, name))
                return
            if name in mod.imports:                         # a re-export, e.g. from a package's __init__
                t, a = mod.imports[name]
                self._resolve_import(t, [a, *names[i + 1:]] if a else names[i + 1:], found, externals)
                return
            if self.module(f"{target}.{name}") is None:
                found.add((target, "*"))                     # an attribute it cannot see: the whole module
                return
            target = f"{target}.{name}"                      # a submodule
            found.update(_bodies(target))

    def fingerprint(self, func) -> tuple[dict[str, str], set[str]]:
        """({"module.name": hash, ...} of func and every project definition it reaches, and the top-level names
        of the other libraries its code reads (numpy, torch, ...))."""
        func = inspect.unwrap(func)
        module, name = func.__module__, func.__qualname__
        mod = self.module(module)
        if "." in name or mod is None or name not in mod.definitions:
            raise ValueError(f"{module}.{name}: a part's function must be a top-level function of a project module")
        todo, visited, hashes, externals = [(module, name), *_bodies(module)], set(), {}, set()
        while todo:
            item = todo.pop()
            if item in visited:
                continue
            visited.add(item)
            mod_name, what = item
            mod = self.module(mod_name)
            if what == "<body>":
                if mod.body_hash:
                    hashes[f"{mod_name}.<body>"] = mod.body_hash
                continue
            if what == "*":
                todo += [(mod_name, d) for d in mod.definitions]
                continue
            node = mod.definitions[what]
            hashes[f"{mod_name}.{what}"] = meaning_hash(node)
            local = _import_bindings([n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))],
                                     mod_name, mod.is_package)
            found: set = set()
            for chain in _references(node):
                self._resolve(mod_name, chain, local, found, externals)
            todo += sorted(found - visited)
        return dict(sorted(hashes.items())), externals - set(sys.builtin_module_names) - {"__future__"}


def _bodies(module: str) -> list[tuple[str, str]]:
    """Importing a.b.c runs the top-level statements of a, a.b and a.b.c."""
    parts = module.split(".")
    return [(".".join(parts[:i]), "<body>") for i in range(1, len(parts) + 1)]
