"""Reads an Airflow DAG file without Airflow: prints, as JSON, what its SparkSubmitOperator calls submit.

Usage: python3 airflow_dag_calls.py DAG_FILE. Output: {"imports": {name: module}, "dag": {DAG's kwargs},
"params": {name: default}, "tasks": [{"variable": ..., "kwargs": {...}}], "edges": [[upstream, downstream]]}.
Keyword values are resolved through the module's constant assignments and ** dicts; a value that is not a
constant is given as {"unresolved": "<its source>"}, so the caller decides whether it may be one.
"""

import ast
import json
import sys


class Unresolved(Exception):
    pass


def value(node, constants):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [value(element, constants) for element in node.elts]
    if isinstance(node, ast.Dict):
        result = {}
        for key, item in zip(node.keys, node.values):
            if key is None:  # {**other}
                result.update(value(item, constants))
            else:
                result[value(key, constants)] = value_or_source(item, constants)
        return result
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    raise Unresolved(ast.unparse(node))


def value_or_source(node, constants):
    try:
        return value(node, constants)
    except Unresolved as e:
        return {"unresolved": str(e)}


def called_name(call):
    return call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)


def keywords(call, constants):
    result = {}
    for keyword in call.keywords:
        if keyword.arg is None:  # **SUBMIT
            result.update(value(keyword.value, constants))
        else:
            result[keyword.arg] = value_or_source(keyword.value, constants)
    return result


def chain(node):
    """The task variables of `a >> b >> c`, in order."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.RShift):
        return chain(node.left) + chain(node.right)
    if isinstance(node, ast.Name):
        return [node.id]
    raise Unresolved(ast.unparse(node))


def main(path):
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), filename=path)

    imports, constants = {}, {}
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                imports[alias.asname or alias.name] = statement.module
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                try:
                    constants[target.id] = value(statement.value, constants)
                except Unresolved:
                    pass

    dag, params, tasks, edges = {}, {}, [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and called_name(node) == "DAG":
            dag = keywords(node, constants)
            declared = next((k.value for k in node.keywords if k.arg == "params"), None)
            if isinstance(declared, ast.Dict):
                for key, param in zip(declared.keys, declared.values):
                    default = param.args[0] if isinstance(param, ast.Call) and param.args else param
                    params[value(key, constants)] = value_or_source(default, constants)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if called_name(node.value) == "SparkSubmitOperator":
                tasks.append({"variable": node.targets[0].id, "kwargs": keywords(node.value, constants)})
        elif isinstance(node, ast.Expr) and isinstance(getattr(node.value, "op", None), ast.RShift):
            names = chain(node.value)
            edges.extend([a, b] for a, b in zip(names, names[1:]))

    json.dump({"imports": imports, "dag": dag, "params": params, "tasks": tasks, "edges": edges}, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
