"""Branches, users and tokens."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.common import BaseSchema, Timestamp, text

ROLES = ("salesperson", "surveyor", "coordinator", "manager", "admin")


class BranchSchema(BaseSchema):
    """A branch (机构) of the tree."""

    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    parent_code = fields.Function(lambda b: b.parent.code if b.parent else None, dump_only=True)
    timezone = fields.String(dump_only=True)
    arrival_radius_m = fields.Float(dump_only=True, allow_none=True)
    created_at = Timestamp(dump_only=True)


class BranchCreateSchema(BaseSchema):
    """A new branch."""

    code = text(32, required=True)
    name = text(120, required=True)
    parent_code = text(32, load_default=None)
    timezone = text(64, load_default=None)


class BranchPatchSchema(BaseSchema):
    """Changes to a branch."""

    name = text(120)
    timezone = text(64)
    arrival_radius_m = fields.Float(allow_none=True, validate=validate.Range(min=20, max=5000), metadata={
        "description": "Arrival radius around a site in metres (null: inherit; default 200)."})


class UserSchema(BaseSchema):
    """A user as others see it; never the password hash."""

    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    phone = fields.String(dump_only=True, allow_none=True)
    role = fields.Function(lambda u: u.role.value, dump_only=True)
    branch_code = fields.Function(lambda u: u.branch.code, dump_only=True)
    is_chief_coordinator = fields.Boolean(dump_only=True)
    is_active = fields.Boolean(dump_only=True)
    created_at = Timestamp(dump_only=True)
    deactivated_at = Timestamp(dump_only=True, allow_none=True)


class UserCreateSchema(BaseSchema):
    """A new user."""

    username = text(64, required=True)
    password = text(256, required=True, load_only=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    branch_code = text(32, required=True)
    display_name = text(120, load_default=None)
    phone = text(32, load_default=None)
    is_chief_coordinator = fields.Boolean(load_default=False)


class UserQueryArgsSchema(BaseSchema):
    """Filters of the user list."""

    role = fields.String(validate=validate.OneOf(ROLES))
    branch = text(32)
    active = fields.Boolean()


class TokenRequestSchema(BaseSchema):
    """Credentials to trade for a token."""

    username = text(64, required=True)
    password = text(256, required=True, load_only=True)


class TokenSchema(BaseSchema):
    """A bearer token and its owner."""

    access_token = fields.String(dump_only=True)
    token_type = fields.Constant("Bearer", dump_only=True)
    expires_at = Timestamp(dump_only=True)
    user = fields.Nested(UserSchema, dump_only=True)
