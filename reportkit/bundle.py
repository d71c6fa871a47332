"""One standalone module from project functions: each function and every project definition it reaches, with
the imports of other libraries they use, in an order that Python can execute.

For a handout that wants a single file (`q4.py`) from code that lives in a package: the file imports only the
other libraries (numpy, scipy, ...), never the project. Project code must be reached by plain names
(`from pkg.mod import f`); a call through a module (`mod.f`) cannot be flattened and is refused.
"""
from __future__ import annotations

import ast
from pathlib import Path

from reportkit.codekey import CodeIndex, _import_bindings, _references, definition_source
from reportkit.errors import BuildError


def _import_line(local: str, module: str, attr: str | None) -> str:
    if attr is None:
        return f"import {module}" if local == module.split(".")[0] and "." not in module else f"import {module} as {local}"
    return f"from {module} import {attr}" + (f" as {local}" if local != attr else "")


def bundle(root: Path, packages: tuple[str, ...], functions, docstring: str) -> str:
    """The source of a module that defines `functions` (and what they need) without importing `packages`."""
    index = CodeIndex(root, packages)
    wanted: list[tuple[str, str]] = []
    for f in functions:
        hashes, _ = index.fingerprint(f)
        wanted += [tuple(k.rsplit(".", 1)) for k in hashes if not k.endswith(".<body>")]
    wanted = list(dict.fromkeys(wanted))
    names = {}
    for module, name in wanted:
        if name in names and names[name] != module:
            raise BuildError(f"bundle: {name} is defined in both {names[name]} and {module}")
        names[name] = module
    imports, needs, text = {}, {}, {}
    for module, name in wanted:
        mod = index.module(module)
        node = mod.definitions[name]
        local = _import_bindings([n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))],
                                 module, mod.is_package)
        needs[name] = set()
        for chain in _references(node):
            head = chain[0]
            if head in local:
                if index.module(local[head][0].split(".")[0]) is not None:
                    raise BuildError(f"bundle: {module}.{name} imports the project inside its body ({head})")
                continue
            if head in mod.imports:
                target, attr = mod.imports[head]
                if index.module(target.split(".")[0]) is None:
                    line = _import_line(head, target, attr)
                    if imports.setdefault(head, line) != line:
                        raise BuildError(f"bundle: {head} means {imports[head]} and {line}")
                elif attr is None or index.module(f"{target}.{attr}") is not None:
                    raise BuildError(f"bundle: {module}.{name} reaches the project through a module ({head}.…); "
                                     f"import the names it uses instead")
                elif attr in names:
                    needs[name].add(attr)
            elif head in mod.definitions and head != name and head in names:
                needs[name].add(head)
        lines = (root.joinpath(*module.split(".")).with_suffix(".py") if not mod.is_package
                 else root.joinpath(*module.split(".")) / "__init__.py").read_text().splitlines()
        text[name] = definition_source(lines, node)
    order, placed = [], set()

    def place(name, path=()):
        if name in placed or name in path:          # a cycle between functions is fine: calls resolve at run time
            return
        for dep in sorted(needs[name]):
            place(dep, path + (name,))
        placed.add(name)
        order.append(name)
    for _, name in wanted:
        place(name)
    head = [f'"""{docstring}"""', "from __future__ import annotations", "", *sorted(set(imports.values()))]
    return "\n".join(head) + "\n\n\n" + "\n\n\n".join(text[n] for n in order) + "\n"
