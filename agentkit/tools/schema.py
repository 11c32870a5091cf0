"""Turns a function signature into a JSON schema and an argument validator, once per tool.

The validator is a pydantic model built from the parameters. Fields carry the parameter name as
an alias, so parameters such as `json` or `schema` never clash with `BaseModel` attributes.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from agentkit.tools.context import ToolContext
from agentkit.tools.docstrings import Docstring
from agentkit.tools.errors import ToolDefinitionError

_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"anyOf", "allOf", "oneOf", "prefixItems"})
_SCHEMA_VALUES = frozenset(
    {"items", "additionalProperties", "not", "contains", "if", "then", "else", "propertyNames"}
)


class InvalidArguments(ValueError):
    """The model's arguments do not fit the schema; the message is written for the model."""


class _Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=False)


@dataclass(frozen=True)
class ArgumentSpec:
    """How to check the model's arguments and lay them out for the call."""

    parameters: dict[str, Any]
    parse: Callable[[str], dict[str, Any]]
    context_param: str | None
    positional_only: tuple[str, ...]
    untyped: tuple[str, ...] = ()
    """Parameters the model fills that have no type hint (their schema is `{}`)."""


def is_context_annotation(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation is ToolContext or get_origin(annotation) is ToolContext


def is_method(function: Callable[..., Any], params: Sequence[inspect.Parameter]) -> bool:
    """A function defined in a class body whose first parameter is `self`/`cls`."""
    qualname = getattr(function, "__qualname__", "").split(".")
    in_class = len(qualname) > 1 and qualname[-2] != "<locals>"
    return in_class and bool(params) and params[0].name in {"self", "cls"}


def function_parameters(function: Callable[..., Any]) -> tuple[list[inspect.Parameter], dict[str, Any]]:
    """The parameters the model or the context fill (receiver dropped) and their resolved hints."""
    label = _label(function)
    try:
        params = list(inspect.signature(function).parameters.values())
        hints = get_type_hints(function, include_extras=True)
    except (NameError, TypeError, ValueError) as exc:
        raise ToolDefinitionError(f"{label}: cannot read the signature's type hints: {exc}") from exc
    if is_method(function, params):
        params = params[1:]
    for param in params:
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            raise ToolDefinitionError(
                f"{label}: parameter **{param.name} is not supported; the model passes named arguments only"
            )
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            raise ToolDefinitionError(
                f"{label}: parameter *{param.name} is not supported; use a list parameter instead"
            )
    return params, hints


def build_from_signature(function: Callable[..., Any], docstring: Docstring) -> ArgumentSpec:
    label = _label(function)
    params, hints = function_parameters(function)
    context_param: str | None = None
    fields: dict[str, Any] = {}
    untyped: list[str] = []
    for index, param in enumerate(params):
        annotation = hints.get(param.name, Any)
        if is_context_annotation(annotation):
            if context_param is not None:
                raise ToolDefinitionError(
                    f"{label}: parameters {context_param} and {param.name} both ask for the context"
                )
            context_param = param.name
            continue
        if param.name.startswith("_"):
            raise ToolDefinitionError(
                f"{label}: parameter {param.name}: names starting with '_' are not supported"
            )
        if param.name not in hints:
            untyped.append(param.name)
        fields[f"p{index}"] = _field(param, annotation, docstring.params.get(param.name))
    try:
        model_name = f"{getattr(function, '__name__', 'tool')}_arguments"
        model = create_model(model_name, __base__=_Arguments, **fields)
        parameters = clean_schema(model.model_json_schema())
    except Exception as exc:
        raise ToolDefinitionError(_unsupported_message(label, params, hints, exc)) from exc
    names = {field: info.alias or field for field, info in model.model_fields.items()}

    def parse(arguments: str) -> dict[str, Any]:
        try:
            validated = model.model_validate_json(arguments if arguments.strip() else "{}")
        except ValidationError as exc:
            raise InvalidArguments(describe_validation_error(exc)) from None
        return {names[field]: getattr(validated, field) for field in names}

    positional_only = tuple(p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_ONLY)
    return ArgumentSpec(parameters, parse, context_param, positional_only, tuple(untyped))


def build_from_schema(function: Callable[..., Any], parameters: dict[str, Any]) -> ArgumentSpec:
    """For a hand-written JSON schema: the function's one non-context parameter gets the object."""
    label = _label(function)
    if not isinstance(parameters, dict) or parameters.get("type") != "object":
        raise ToolDefinitionError(f'{label}: parameters must be a JSON schema with "type": "object"')
    params, hints = function_parameters(function)
    context = [p.name for p in params if is_context_annotation(hints.get(p.name))]
    data = [p for p in params if p.name not in context]
    if len(data) != 1 or len(context) > 1:
        raise ToolDefinitionError(
            f"{label}: a tool with a raw JSON schema takes exactly one parameter for the arguments "
            "object (plus an optional ToolContext parameter)"
        )
    required = [str(name) for name in parameters.get("required", ())]
    target = data[0].name

    def parse(arguments: str) -> dict[str, Any]:
        try:
            value = json.loads(arguments) if arguments.strip() else {}
        except ValueError as exc:
            raise InvalidArguments(f"arguments are not valid JSON ({exc})") from None
        except RecursionError:  # the signature path's pydantic parser reports this as invalid JSON too
            raise InvalidArguments("arguments are not valid JSON (nested too deeply)") from None
        if not isinstance(value, dict):
            raise InvalidArguments(f"arguments must be a JSON object, got {type(value).__name__}")
        missing = [name for name in required if name not in value]
        if missing:
            raise InvalidArguments("; ".join(f"{name}: Field required" for name in missing))
        return {target: value}

    positional_only = tuple(p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_ONLY)
    return ArgumentSpec(clean_schema(parameters), parse, context[0] if context else None, positional_only)


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, naming the argument, in pydantic's words, without links."""
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        kind, message = error["type"], error["msg"]
        if kind == "json_invalid":
            problems.append(f"arguments are not valid JSON ({error.get('ctx', {}).get('error', message)})")
            continue
        if not location and kind == "model_type":
            problems.append(f"arguments must be a JSON object, got {_json_type(error['input'])}")
            continue
        if kind == "extra_forbidden":
            message = "unknown argument"
        elif kind != "missing" and isinstance(error["input"], (str, int, float, bool)):
            message = f"{message} (got {_short(error['input'])})"
        problems.append(f"{location}: {message}" if location else message)
    return "; ".join(problems)


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop titles and inline `$ref`s (recursive models keep their `$defs`): fewer tokens, and
    no reliance on reference support in the Realtime API's schema handling."""
    defs: dict[str, Any] = dict(schema.get("$defs", {}))
    recursive: set[str] = set()

    def walk(node: Any, stack: tuple[str, ...]) -> Any:
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = ref.removeprefix("#/$defs/")
            if target in stack or target not in defs:
                recursive.add(target)
            else:
                siblings = {key: value for key, value in node.items() if key != "$ref"}
                return {**walk(defs[target], (*stack, target)), **walk(siblings, stack)}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if (key == "title" and isinstance(value, str)) or key == "$defs":
                continue
            if key in _SCHEMA_MAPS and isinstance(value, dict):
                out[key] = {name: walk(sub, stack) for name, sub in value.items()}
            elif key in _SCHEMA_LISTS and isinstance(value, list):
                out[key] = [walk(sub, stack) for sub in value]
            elif key in _SCHEMA_VALUES:
                out[key] = walk(value, stack)
            else:
                out[key] = value
        return out

    cleaned: dict[str, Any] = walk(schema, ())
    if recursive:
        cleaned["$defs"] = {name: walk(defs[name], (name,)) for name in sorted(recursive) if name in defs}
    return cleaned


def _field(param: inspect.Parameter, annotation: Any, doc: str | None) -> tuple[Any, Any]:
    """(annotation, default) for `create_model`; a `Field(...)` default moves into `Annotated`."""
    default = param.default
    described = False
    if isinstance(default, FieldInfo):
        annotation, described = Annotated[annotation, default], default.description is not None
        default = inspect.Parameter.empty
    if get_origin(annotation) is Annotated:
        described = described or any(
            isinstance(meta, FieldInfo) and meta.description is not None for meta in annotation.__metadata__
        )
    value = PydanticUndefined if default is inspect.Parameter.empty else default
    if doc and not described:
        return annotation, Field(value, alias=param.name, description=doc)
    return annotation, Field(value, alias=param.name)


def _unsupported_message(
    label: str, params: list[inspect.Parameter], hints: dict[str, Any], exc: Exception
) -> str:
    """Which parameter's type cannot be a tool argument, in a tool author's terms (pydantic's own
    advice, like `arbitrary_types_allowed`, does not apply: the model can only send JSON)."""
    from pydantic import TypeAdapter

    for param in params:
        annotation = hints.get(param.name, Any)
        if is_context_annotation(annotation):
            continue
        try:
            TypeAdapter(annotation).json_schema()
        except Exception:
            return (
                f"{label}: parameter {param.name}: type {type_name(annotation)} is not supported: the model "
                "sends arguments as JSON, so use str, int, float, bool, None, Literal, an Enum, a list, "
                "dict or tuple of those, or a dataclass, TypedDict or pydantic model made of them"
            )
    return f"{label}: cannot build a JSON schema: {str(exc).splitlines()[0]}"


def type_name(annotation: Any) -> str:
    """`socket.socket`, `list[int]`, `Callable[[int], int]`: a type as it is written in code."""
    if isinstance(annotation, type) and get_origin(annotation) is None and not get_args(annotation):
        module = annotation.__module__
        return annotation.__qualname__ if module == "builtins" else f"{module}.{annotation.__qualname__}"
    return repr(annotation).replace("typing.", "").replace("collections.abc.", "")


def _label(function: Callable[..., Any]) -> str:
    return f"tool function {getattr(function, '__qualname__', function)!s}"


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
