"""Running a GraphQL document the way AniList would: parse, validate, execute.

With the real schema (`schema.load_schema`) graphql-core validates and executes the
document, so a query AniList would reject is rejected here too (HTTP 400). Without it,
the same resolvers run straight from the AST — no validation, no coercion — and the
answer is projected onto the selection by hand, so tests still pass on a bare checkout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    execute_sync,
    get_named_type,
    parse,
    validate,
)
from graphql.execution.values import get_argument_values
from graphql.utilities import value_from_ast_untyped
from starlette.responses import JSONResponse, Response

from fakes.anilist.errors import Failure, error_response, format_error
from fakes.anilist.resolvers import Context, Resolvers
from fakes.anilist.schema import notice_unvalidated


class GraphQLExecution(Resolvers):
    """Turns a query into AniList's JSON answer; `schema` is None without shared data."""

    schema: GraphQLSchema | None

    def _execute(
        self,
        query: str,
        variables: dict[str, Any],
        context: Context,
        headers: dict[str, str],
    ) -> Response:
        try:
            document = parse(query)
        except GraphQLError as exc:
            return error_response(400, [format_error(exc, 400)], headers)
        if self.schema is not None:
            problems = validate(self.schema, document)
            if problems:
                return error_response(400, [format_error(e, 400) for e in problems], headers)
            root = {
                name: self._typed_resolver(name, context) for name in self.schema.query_type.fields
            }
            result = execute_sync(self.schema, document, root, variable_values=variables)
            data, errors = result.data, list(result.errors or [])
        else:
            notice_unvalidated()
            data, errors = self._execute_untyped(document, variables, context)
        if not errors:
            return JSONResponse({"data": data}, headers=headers)
        status = 400
        for error in errors:
            if isinstance(error.original_error, Failure):
                status = error.original_error.status
                break
            if not isinstance(error.original_error, GraphQLError | None):
                status = 500  # a bug in the fake: make it loud
        formatted = [format_error(e, status) for e in errors]
        return JSONResponse({"data": data, "errors": formatted}, status, headers=headers)

    def _typed_resolver(self, name: str, context: Context) -> Callable[..., Any]:
        def resolve(info: Any, **args: Any) -> Any:
            child_args: dict[str, dict[str, Any]] = {}
            object_type = get_named_type(info.return_type)
            fields = getattr(object_type, "fields", {})
            for node in info.field_nodes:
                for sel in node.selection_set.selections if node.selection_set else ():
                    if isinstance(sel, FieldNode) and sel.name.value in fields:
                        child_args[sel.name.value] = get_argument_values(
                            fields[sel.name.value], sel, info.variable_values
                        )
            return self._resolve(name, args, child_args, context)

        return resolve

    def _execute_untyped(
        self, document: DocumentNode, variables: dict[str, Any], context: Context
    ) -> tuple[dict[str, Any], list[GraphQLError]]:
        """Run the resolvers straight from the AST (no schema: no validation, no coercion)."""
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        values = {
            v.variable.name.value: value_from_ast_untyped(v.default_value)
            for v in operation.variable_definitions or ()
            if v.default_value is not None
        }
        values.update(variables)
        data: dict[str, Any] = {}
        errors: list[GraphQLError] = []
        for sel in operation.selection_set.selections:
            if not isinstance(sel, FieldNode):
                continue
            key = sel.alias.value if sel.alias else sel.name.value
            args = {
                a.name.value: value_from_ast_untyped(a.value, values) for a in sel.arguments or ()
            }
            child_args = {
                child.name.value: {
                    a.name.value: value_from_ast_untyped(a.value, values)
                    for a in child.arguments or ()
                }
                for child in (sel.selection_set.selections if sel.selection_set else ())
                if isinstance(child, FieldNode)
            }
            try:
                value = self._resolve(sel.name.value, args, child_args, context)
            except Failure as failure:
                errors.append(GraphQLError(failure.message, sel, original_error=failure))
                data[key] = None
                continue
            data[key] = _project(value, sel.selection_set, fragments)
        return data, errors


def _project(value: Any, selection_set: SelectionSetNode | None, fragments: dict[str, Any]) -> Any:
    """Keep only the selected fields of resolver data (the schema-less execution path)."""
    if selection_set is None or value is None:
        return value
    if isinstance(value, list):
        return [_project(item, selection_set, fragments) for item in value]
    out: dict[str, Any] = {}
    typename = value.get("__typename")
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            key = sel.alias.value if sel.alias else sel.name.value
            out[key] = _project(value.get(sel.name.value), sel.selection_set, fragments)
        else:
            target = fragments[sel.name.value] if isinstance(sel, FragmentSpreadNode) else sel
            condition = target.type_condition.name.value if target.type_condition else None
            if condition is None or typename is None or condition == typename:
                out.update(_project(value, target.selection_set, fragments))
    return out
