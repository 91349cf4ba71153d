"""Request and response models of the HTTP API (camelCase lives only here)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
)
from pydantic.alias_generators import to_camel

from galleria import ids
from galleria.catalog import ASPECT_RATIOS, STYLE_PRESETS
from galleria.domain.uploads import MAX_FILENAME_LENGTH, UPLOAD_KINDS
from galleria.errors import InvalidRequest
from galleria.generation.spec import GenerationSpec
from galleria.tags import normalise_tags

# Built from the catalogue so the API, the OpenAPI document and the renderer share one list.
AspectRatio = Literal[ASPECT_RATIOS]  # type: ignore[valid-type]
StylePreset = Literal[STYLE_PRESETS]  # type: ignore[valid-type]

ItemId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.ITEM))]
CollectionId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.COLLECTION))]
# Ids in paths: any plain id of the right kind is looked up (an unknown one answers 404), while
# path characters, quotes and the like are refused before any lookup.
ItemRef = Annotated[str, StringConstraints(pattern=r"^gal_[A-Za-z0-9]{1,64}$")]
CollectionRef = Annotated[str, StringConstraints(pattern=r"^col_[A-Za-z0-9]{1,64}$")]
# Ids in bulk bodies: checked one by one (a malformed id fails alone, as not_found).
BulkItemId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
# No upper bound here: each operation answers too_many_ids past its own limit (200, or 500 for exports).
BulkItemIds = Annotated[list[BulkItemId], Field(min_length=1)]


def _no_nul(value: str) -> str:
    """A NUL is never what a user meant, and it breaks C-string consumers downstream."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


NoNul = AfterValidator(_no_nul)
Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul]
JobId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.JOB))]
CollectionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul]


class RequestModel(BaseModel):
    """Requests: camelCase names, unknown fields rejected, no silent type coercion."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", strict=True, defer_build=True
    )


class ResponseModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True)


class ErrorOut(ResponseModel):
    """Every error answer: a human sentence, a stable code, and the code's own fields (``required``
    and ``balance`` of insufficient_credits, ``requestId`` of internal_error, ...)."""

    model_config = ConfigDict(extra="allow")

    error: str
    code: str


# --- generation ------------------------------------------------------------------------
class GenerateImageRequest(RequestModel):
    prompt: Prompt
    model: str | None = None
    aspect_ratio: AspectRatio = "1:1"
    num_images: Annotated[int, Field(ge=1, le=4)] = 1
    style_preset: StylePreset = "none"
    source_image: str | None = None
    source_item_id: ItemId | None = None
    save_to_gallery: bool = True
    gallery_tags: Annotated[list[str], Field(max_length=50)] = []
    collection_id: CollectionId | None = None
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = None
    async_: bool = Field(default=False, alias="async")
    dry_run: bool = False

    def to_spec(self) -> GenerationSpec:
        """The normalised request a job runs (the source image's bytes travel separately)."""
        return GenerationSpec(
            prompt=self.prompt,
            model=self.model or "",
            aspect_ratio=self.aspect_ratio,
            num_images=self.num_images,
            style_preset=self.style_preset,
            seed=self.seed,
            source_item_id=self.source_item_id,
            source_image=self.source_image is not None,
            save_to_gallery=self.save_to_gallery,
            gallery_tags=normalise_tags(self.gallery_tags, field="galleryTags"),
            collection_id=self.collection_id,
        )


class ImageOut(ResponseModel):
    url: str | None  # None only when storing failed; ``image`` then carries the bytes
    thumbnail_url: str | None
    text: str | None
    mime_type: str
    file_size: int
    width: int
    height: int
    gallery_id: str | None
    image: str | None = Field(default=None, description="Base64 image, present only if storing failed")

    # No return annotation on purpose: with one, pydantic would publish it as the JSON schema and
    # the OpenAPI document would lose the fields.
    @model_serializer(mode="wrap")
    def _omit_missing_image(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data: dict[str, Any] = handler(self)
        if data.get("image") is None:
            data.pop("image", None)
        return data


class GenerateImageResponse(ResponseModel):
    images: list[ImageOut]
    num_images: int
    job_id: str
    credits_charged: int


class JobAccepted(ResponseModel):
    job_id: str
    status: str
    status_url: str


class PriceQuote(ResponseModel):
    credits_required: int
    balance: int
    model: str
    num_images: int


class JobErrorOut(ResponseModel):
    code: str
    message: str


class JobOut(ResponseModel):
    id: str
    type: str
    status: str
    created_at: str
    updated_at: str
    result: GenerateImageResponse | None
    error: JobErrorOut | None


# --- catalogue and account -------------------------------------------------------------
class CapabilitiesOut(ResponseModel):
    aspect_ratios: list[str]
    max_images: int
    source_image: bool
    edit: bool
    seed: bool


class ModelOut(ResponseModel):
    id: str
    provider: str
    speed: str
    best_for: str
    available: bool
    price_per_image: int
    default: bool
    capabilities: CapabilitiesOut


class ModelsResponse(ResponseModel):
    models: list[ModelOut]
    aspect_ratios: list[str]
    style_presets: list[str]


class StorageOut(ResponseModel):
    used: int
    limit: int | None
    used_formatted: str
    limit_formatted: str
    item_count: int


class GalleryStorageOut(StorageOut):
    """GET /api/v1/gallery/storage: ``used`` includes the trash until it is purged."""

    plan: str
    trash_bytes: int


class RateLimitOut(ResponseModel):
    requests_per_minute: int


class AccountOut(ResponseModel):
    team_id: str
    name: str
    plan: str
    credits: int
    storage: StorageOut
    rate_limit: RateLimitOut
    public_tags: bool  # does the public feed show this team's tags


# --- gallery ---------------------------------------------------------------------------
class GenerationOut(ResponseModel):
    provider: str
    model_version: str
    request: dict[str, Any]
    seed_used: int | None
    provider_request_id: str | None
    reproducible: bool


class PublicItemOut(ResponseModel):
    """An item in the public feed: what anyone may see, nothing of its team or organisation
    (no team id, collections, favorites or ratings; tags only where the team allows)."""

    id: str
    type: str
    url: str
    thumbnail_url: str | None
    prompt: str
    title: str | None
    model: str
    style_preset: str
    aspect_ratio: str
    width: int | None  # None only for a video whose container does not state its size
    height: int | None
    mime_type: str
    tags: list[str]
    created_at: str


class ItemOut(PublicItemOut):
    """An item as its own team sees it: the public fields and everything else."""

    seed: int | None
    file_size: int
    favorite: bool
    collections: list[str]
    visibility: str
    source: str
    parent_id: str | None
    rating: int
    archived: bool
    sha256: str
    generation: GenerationOut | None
    updated_at: str
    deleted_at: str | None
    purge_at: str | None


class ItemDetailOut(ItemOut):
    variants: list[ItemOut] = []
    parent: ItemOut | None = None


class GalleryPage(ResponseModel):
    items: list[ItemOut]
    total: int
    page: int
    page_size: int
    next_cursor: str | None
    # Present (false) only when a search or combined filter had more to count than one request
    # may read: ``total`` is then a lower bound.
    total_exact: bool = True

    @model_serializer(mode="wrap")
    def _omit_exact_total(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data: dict[str, Any] = handler(self)
        if data.get("totalExact", data.get("total_exact")) is True:
            data.pop("totalExact", None)
            data.pop("total_exact", None)
        return data


class ItemPatchIn(RequestModel):
    tags: Annotated[list[str], Field(max_length=200)] | None = None
    title: Title | None = None
    favorite: bool | None = None
    visibility: Literal["private", "public"] | None = None
    rating: Annotated[int, Field(ge=0, le=5)] | None = None
    archived: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the request names (``title: null`` clears the title; tags normalised)."""
        fields = {name: getattr(self, name) for name in self.model_fields_set}
        for name in ("tags", "favorite", "visibility", "rating", "archived"):
            if name in fields and fields[name] is None:
                raise InvalidRequest(f"Invalid field '{name}': must not be null")
        if "tags" in fields:
            fields["tags"] = normalise_tags(fields["tags"])
        if fields.get("title") == "":
            fields["title"] = None
        return fields


class FavoriteOut(ResponseModel):
    id: str
    favorite: bool


class TrashedOut(ResponseModel):
    id: str
    deleted_at: str
    purge_at: str


class FacetsOut(ResponseModel):
    total: int
    types: dict[str, int]
    favorites: int
    archived: int
    trash: int
    models: dict[str, int]
    tags: dict[str, int]
    collections: dict[str, int]


class CollectionIn(RequestModel):
    name: CollectionName
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class CollectionPatchIn(RequestModel):
    name: CollectionName | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None

    def changes(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.model_fields_set}
        if "name" in fields and fields["name"] is None:
            raise InvalidRequest("Invalid field 'name': must not be null")
        return fields


class CollectionOut(ResponseModel):
    id: str
    name: str
    description: str | None
    item_count: int
    cover_url: str | None
    created_at: str
    updated_at: str


class CollectionList(ResponseModel):
    collections: list[CollectionOut]
    next_cursor: str | None


class ItemIdsIn(RequestModel):
    item_ids: BulkItemIds


class FailedIdOut(ResponseModel):
    id: str
    code: str


class CollectionItemsAdded(ResponseModel):
    added: list[str]
    failed: list[FailedIdOut]
    collection: CollectionOut


class CollectionItemsRemoved(ResponseModel):
    removed: list[str]
    failed: list[FailedIdOut]
    collection: CollectionOut


class BulkTagIn(RequestModel):
    item_ids: BulkItemIds
    tags: Annotated[list[str], Field(min_length=1, max_length=200)]
    mode: Literal["add", "remove", "replace"] = "add"


class BulkCollectIn(RequestModel):
    item_ids: BulkItemIds
    collection_id: CollectionRef


class BulkOut(ResponseModel):
    succeeded: list[str]
    failed: list[FailedIdOut]


class LedgerEntryOut(ResponseModel):
    kind: str
    credits: int
    job_id: str | None
    at: str


class LedgerOut(ResponseModel):
    entries: list[LedgerEntryOut]
    next_cursor: str | None


# --- uploads ---------------------------------------------------------------------------
UploadContentType = Literal[tuple(UPLOAD_KINDS)]  # type: ignore[valid-type]
# A file's name as the user sees it: no control characters (they would end up in the title).
Filename = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_FILENAME_LENGTH, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class UploadIn(RequestModel):
    filename: Filename
    content_type: UploadContentType
    size: Annotated[int, Field(ge=1, le=5 * 1024**3)]  # S3's single-PUT maximum; the plan limits come after


class UploadOut(ResponseModel):
    item_id: str
    upload_url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    expires_at: str
    status_url: str


class UploadStatusOut(ResponseModel):
    item_id: str
    status: Literal["pending", "processing", "ready", "failed"]
    filename: str
    content_type: str
    size: int
    error: JobErrorOut | None
    item: ItemOut | None  # once ready (and while the item is not deleted for good)
    created_at: str
    updated_at: str


# --- shares ----------------------------------------------------------------------------
ExpiresIn = Literal["1h", "1d", "7d", "30d", "never"]
SharePassword = Annotated[str, StringConstraints(min_length=1, max_length=200)]
MaxViews = Annotated[int, Field(ge=1, le=1_000_000)]


class ShareIn(RequestModel):
    expires_in: ExpiresIn = "7d"
    password: SharePassword | None = None
    allow_download: bool = False
    show_metadata: bool = True
    max_views: MaxViews | None = None

    def options(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class SharePatchIn(RequestModel):
    """Only the fields sent change; ``password: null`` removes the password, ``maxViews: null`` the cap."""

    expires_in: ExpiresIn | None = None
    password: SharePassword | None = None
    allow_download: bool | None = None
    show_metadata: bool | None = None
    max_views: MaxViews | None = None

    def changes(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in self.model_fields_set}
        for name in ("expires_in", "allow_download", "show_metadata"):
            if name in fields and fields[name] is None:
                raise InvalidRequest(f"Invalid field '{to_camel(name)}': must not be null")
        return fields


class ShareOut(ResponseModel):
    share_url: str
    token: str
    expires_in: str
    expires_at: str | None
    allow_download: bool
    password_protected: bool
    show_metadata: bool
    max_views: int | None
    views: int
    last_viewed_at: str | None
    failed_password_attempts: int
    created_at: str
    updated_at: str
    revoked_at: str | None


class ShareList(ResponseModel):
    shares: list[ShareOut]


class SharedImageOut(ResponseModel):
    """One image as a share link shows it; prompt, title and model only with showMetadata."""

    id: str
    type: str
    mime_type: str
    width: int | None
    height: int | None
    image_url: str
    download_url: str | None = None
    title: str | None = None
    prompt: str | None = None
    model: str | None = None
    created_at: str


class SharedLinkOut(ResponseModel):
    """``GET /share/{token}`` with ``Accept: application/json``."""

    token: str
    type: Literal["item", "collection"]
    title: str
    expires_at: str | None
    allow_download: bool
    show_metadata: bool
    views: int
    max_views: int | None
    images: list[SharedImageOut]
    next_cursor: str | None = None


class PublicGalleryPage(ResponseModel):
    items: list[PublicItemOut]
    page: int
    page_size: int
    next_cursor: str | None


class AccountPatchIn(RequestModel):
    public_tags: bool


SessionId = Annotated[str, StringConstraints(pattern=ids.id_pattern(ids.SESSION))]


class EditIn(RequestModel):
    prompt: Prompt
    model: str | None = None
    session_id: SessionId | None = None


class EditAccepted(JobAccepted):
    edit_session_id: str


class SessionOpened(ResponseModel):
    session_id: str
    gallery_image_id: str
    created_at: str


class SessionTurnOut(ResponseModel):
    turn: int
    prompt: str
    job_id: str
    status: str
    variant_id: str | None
    created_at: str
    updated_at: str


class SessionOut(SessionOpened):
    turns: list[SessionTurnOut]


class SplitIn(RequestModel):
    rows: Annotated[int, Field(ge=1, le=4)]
    cols: Annotated[int, Field(ge=1, le=4)]


class ExportIn(RequestModel):
    item_ids: BulkItemIds
    format: Literal["original", "png"] = "original"


class ExportOut(ResponseModel):
    job_id: str
    status: str
    item_count: int | None
    bytes: int | None
    download_url: str | None
    expires_at: str | None
    missing: list[str] = []
    error: JobErrorOut | None = None
