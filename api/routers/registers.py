"""Builds the four endpoints every register has from its RegisterSpec:

PUT /{key} (create or update), GET /{key}, GET / (paged list), GET /{key}/transfers.
"""

from ninja import Path, Query, Router

from api.idempotency import api_write
from api.registers import RegisterSpec, register_upsert
from api.responses import page, respond
from api.schemas.common import MAX_INT, Page, PageQuery, TransferStatusOut
from api.selectors import record_of_client_or_404, transfer_status_of

PROBLEM = {"content": {"application/problem+json": {}}}


def register_router(spec: RegisterSpec, *, tag: str) -> Router:
    router = Router(tags=[tag])
    key_type, key_name = spec.key_type, spec.key_field
    item_path = "/{" + key_name + "}"
    noun = spec.model._meta.verbose_name
    # shown as {number} or {code} in the document; bounded like the column it is looked up in
    bounds = {"ge": 1, "le": MAX_INT} if key_type is int else {"max_length": 50}
    key_param = Path(..., alias=key_name, **bounds)

    def get_record(request, key):
        return record_of_client_or_404(
            spec.model,
            client=request.auth.client,
            select_related=spec.select_related,
            **{spec.key_field: key},
        )

    @router.put(
        item_path,
        response={200: spec.schema_out, 201: spec.schema_out},
        operation_id=f"{spec.path}_upsert",
        summary=f"Create or update a {noun} by {key_name}",
        openapi_extra={"responses": {422: {"description": "Validation problem", **PROBLEM}}},
    )
    @api_write
    def upsert(request, payload: spec.schema_in, key: key_type = key_param):
        record, created = register_upsert(
            spec=spec, client=request.auth.client, key=key, payload=payload
        )
        record = get_record(request, key)  # reloaded with its references for the answer
        return respond(spec.schema_out.from_orm(record), status=201 if created else 200)

    @router.get(item_path, response=spec.schema_out, operation_id=f"{spec.path}_get")
    def detail(request, key: key_type = key_param):
        return get_record(request, key)

    @router.get("", response=Page[spec.schema_out], operation_id=f"{spec.path}_list")
    def listing(request, params: Query[PageQuery]):
        queryset = (
            spec.model.objects.filter(client=request.auth.client)
            .select_related(*spec.select_related)
            .prefetch_related(*spec.prefetch_related)
        )
        return page(queryset.order_by(spec.key_field), params)

    @router.get(
        item_path + "/transfers",
        response=TransferStatusOut,
        operation_id=f"{spec.path}_transfers",
        summary=f"Transfer status of a {noun}",
    )
    def transfers(request, key: key_type = key_param):
        return transfer_status_of(record=get_record(request, key))

    return router
