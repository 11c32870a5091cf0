"""Schemas built from signatures: exact JSON for every supported case, and decoration errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from agentkit.tools import Tool, ToolContext, ToolDefinitionError, tool


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    zip_code: Annotated[str, Field(pattern=r"^\d{5}$")]


class Customer(BaseModel):
    name: str
    address: Address


@dataclass
class Point:
    x: float
    y: float = 0.0


class Slot(TypedDict):
    day: str
    hour: int


class Node(BaseModel):
    label: str
    children: list[Node] = []


def params(t: Tool) -> dict[str, Any]:
    return t.definition()["parameters"]


def test_primitives_required_and_defaults() -> None:
    @tool
    def f(text: str, count: int, ratio: float, flag: bool = True) -> None:
        """Do it."""

    assert f.definition() == {
        "type": "function",
        "name": "f",
        "description": "Do it.",
        "parameters": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "text": {"type": "string"},
                "count": {"type": "integer"},
                "ratio": {"type": "number"},
                "flag": {"type": "boolean", "default": True},
            },
            "required": ["text", "count", "ratio"],
        },
    }


def test_optional_literal_and_enum() -> None:
    @tool
    def f(mode: Literal["fast", "slow"], color: Color = Color.RED, limit: int | None = None) -> None: ...

    assert params(f)["properties"] == {
        "mode": {"enum": ["fast", "slow"], "type": "string"},
        "color": {"enum": ["red", "blue"], "type": "string", "default": "red"},
        "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
    }
    assert params(f)["required"] == ["mode"]


def test_collections() -> None:
    @tool
    def f(tags: list[str], scores: dict[str, float], pair: tuple[int, str]) -> None: ...

    assert params(f)["properties"] == {
        "tags": {"type": "array", "items": {"type": "string"}},
        "scores": {"type": "object", "additionalProperties": {"type": "number"}},
        "pair": {
            "type": "array",
            "prefixItems": [{"type": "integer"}, {"type": "string"}],
            "minItems": 2,
            "maxItems": 2,
        },
    }


def test_nested_models_are_inlined_without_titles() -> None:
    @tool
    def f(customer: Customer) -> None: ...

    address = {
        "type": "object",
        "properties": {"street": {"type": "string"}, "zip_code": {"type": "string", "pattern": r"^\d{5}$"}},
        "required": ["street", "zip_code"],
    }
    assert params(f) == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "customer": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "address": address},
                "required": ["name", "address"],
            }
        },
        "required": ["customer"],
    }


def test_dataclass_and_typeddict() -> None:
    @tool
    def f(point: Point, slot: Slot) -> None: ...

    assert params(f)["properties"] == {
        "point": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"x": {"type": "number"}, "y": {"type": "number", "default": 0.0}},
            "required": ["x"],
        },
        "slot": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"day": {"type": "string"}, "hour": {"type": "integer"}},
            "required": ["day", "hour"],
        },
    }


def test_recursive_model_keeps_defs() -> None:
    @tool
    def f(tree: Node) -> None: ...

    node = {
        "type": "object",
        "properties": {
            "label": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}, "default": []},
        },
        "required": ["label"],
    }
    assert params(f)["properties"] == {"tree": node}
    assert params(f)["$defs"] == {"Node": node}


def test_annotated_field_constraints_and_descriptions() -> None:
    @tool
    def f(
        quantity: Annotated[int, Field(ge=1, le=10, description="How many.")],
        code: Annotated[str, Field(pattern="^[A-Z]{3}$")] = "ABC",
        note: str = Field("", max_length=20, description="Free text."),
    ) -> None:
        """Order.

        Args:
            quantity: ignored, the Field description wins.
            code: Three capital letters.
        """

    assert params(f)["properties"] == {
        "quantity": {"type": "integer", "minimum": 1, "maximum": 10, "description": "How many."},
        "code": {
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "default": "ABC",
            "description": "Three capital letters.",
        },
        "note": {"type": "string", "maxLength": 20, "default": "", "description": "Free text."},
    }


def test_google_docstring() -> None:
    @tool
    def lookup_order(order_id: str, verbose: bool = False) -> None:
        """Look up an order
        by its id.

        Longer explanation for humans only.

        Args:
            order_id (str): The order's id,
                as printed on the receipt.
            verbose: Include line items.

        Returns:
            The order.
        """

    assert lookup_order.description == "Look up an order by its id."
    assert params(lookup_order)["properties"] == {
        "order_id": {"type": "string", "description": "The order's id, as printed on the receipt."},
        "verbose": {"type": "boolean", "default": False, "description": "Include line items."},
    }


def test_numpy_docstring() -> None:
    @tool
    def convert(amount: float, currency: str) -> None:
        """Convert money.

        Parameters
        ----------
        amount : float
            How much,
            in cents.
        currency : str
            ISO code.

        Returns
        -------
        float
        """

    assert convert.description == "Convert money."
    assert params(convert)["properties"] == {
        "amount": {"type": "number", "description": "How much, in cents."},
        "currency": {"type": "string", "description": "ISO code."},
    }


def test_sphinx_docstring() -> None:
    @tool
    def weather(city: str, days: int = 1) -> None:
        """Forecast for a city.
        :param city: City name.
        :param int days: How many days,
            at most 7.
        :returns: the forecast
        """

    assert weather.description == "Forecast for a city."
    assert params(weather)["properties"] == {
        "city": {"type": "string", "description": "City name."},
        "days": {"type": "integer", "default": 1, "description": "How many days, at most 7."},
    }


def test_decorator_options_and_context_parameter_left_out() -> None:
    @tool(name="find", description="Find things.", timeout=2.5, follow_up=False, cancel_on_interrupt=True)
    async def search(ctx: ToolContext[dict[str, str]], query: str) -> list[str]:
        """Ignored description."""
        return []

    assert (search.name, search.description, search.timeout) == ("find", "Find things.", 2.5)
    assert search.follow_up is False
    assert search.cancel_on_interrupt is True
    assert search.wants_context
    assert params(search)["properties"] == {"query": {"type": "string"}}


def test_parameter_names_that_shadow_basemodel_attributes() -> None:
    @tool
    def f(json: str, schema: int, copy: bool) -> None: ...

    assert list(params(f)["properties"]) == ["json", "schema", "copy"]
    parsed = f.parse_arguments('{"json": "x", "schema": 1, "copy": true}')
    assert parsed == {"json": "x", "schema": 1, "copy": True}


def test_no_parameters() -> None:
    @tool
    def now() -> str:
        return "noon"

    assert params(now) == {"type": "object", "additionalProperties": False, "properties": {}}
    assert now.parse_arguments("") == {}
    assert now() == "noon"


def test_methods_bind_through_instances() -> None:
    class Shop:
        def __init__(self, stock: int) -> None:
            self.stock = stock

        @tool
        def check(self, item: str) -> str:
            """Check stock."""
            return f"{item}: {self.stock}"

    shop = Shop(3)
    bound = shop.check
    assert isinstance(bound, Tool)
    assert bound is shop.check
    assert Shop.check.is_unbound_method
    assert not bound.is_unbound_method
    assert params(bound)["properties"] == {"item": {"type": "string"}}
    assert bound("apple") == "apple: 3"


def test_raw_schema_tool() -> None:
    schema = {"type": "object", "properties": {"q": {"type": "string", "title": "Q"}}, "required": ["q"]}

    @tool(parameters=schema, description="Raw.")
    def raw(arguments: dict[str, Any], ctx: ToolContext[None]) -> str:
        return str(arguments)

    expected = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
    assert raw.definition()["parameters"] == expected
    assert raw.parse_arguments('{"q": "x"}') == {"arguments": {"q": "x"}}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: tool(_kwargs_function), r"_kwargs_function: parameter \*\*extra is not supported"),
        (lambda: tool(_args_function), r"_args_function: parameter \*items is not supported"),
        (lambda: tool(_bad_type_function), r"_bad_type_function: parameter lock: type .*Lock"),
        (lambda: tool(name="no spaces")(_args_function), r"name 'no spaces' must be 1-64 characters"),
        (lambda: tool(timeout=0)(_ok_function), r"timeout must be positive"),
        (lambda: tool(parameters={"type": "string"})(_ok_function), r"\"type\": \"object\""),
        (lambda: tool(parameters={"type": "object"})(_two_param_function), "exactly one parameter"),
        (lambda: tool(_two_contexts), "both ask for the context"),
        (lambda: tool(_private_param), "parameter _secret: names starting with '_'"),
        (lambda: tool(_unresolved_hint), "_unresolved_hint: cannot read the signature's type hints"),
    ],
)
def test_decoration_errors_name_function_and_parameter(build: Any, message: str) -> None:
    with pytest.raises(ToolDefinitionError, match=message):
        build()


def _kwargs_function(a: int, **extra: int) -> None: ...


def _args_function(*items: int) -> None: ...


class Lock:
    pass


def _bad_type_function(lock: Lock) -> None: ...


def _ok_function(a: int) -> None: ...


def _two_param_function(a: dict[str, Any], b: int) -> None: ...


def _two_contexts(a: ToolContext[None], b: ToolContext[None]) -> None: ...


def _private_param(_secret: str) -> None: ...


def _unresolved_hint(a: NotDefinedAnywhere) -> None: ...  # type: ignore[name-defined]  # noqa: F821
