"""HTTP routes: tokens, the caller, users and branches."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request
from flask.views import MethodView

from field_api.access import Blueprint, current_actor, current_token_id
from field_api.accounts import service
from field_api.accounts.models import Role
from field_api.clock import current_clock
from field_api.extensions import db, limiter
from field_api.pagination import SelectPage
from schemas.accounts import (BranchCreateSchema, BranchPatchSchema, BranchSchema, TokenRequestSchema, TokenSchema,
                              UserCreateSchema, UserQueryArgsSchema, UserSchema)

auth = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign in and out.")
me = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The signed-in user.")
users = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Users (admins and managers).")
branches = Blueprint("branches", __name__, url_prefix="/api/v1/branches", description="The branch tree.")


def _login_username() -> str:
    body = request.get_json(silent=True)
    name = body.get("username") if isinstance(body, dict) else None
    return "login-user:" + (name.strip().lower() if isinstance(name, str) else "")


def _failed(response) -> bool:
    return response.status_code == 401


def _limit(name: str):
    return lambda: current_app.config[name]


@auth.route("/token")
class Token(MethodView):
    decorators = [
        limiter.limit(_limit("LOGIN_LIMIT_PER_USERNAME"), key_func=_login_username, deduct_when=_failed,
                      methods=["POST"], scope="login-user"),
        limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), deduct_when=_failed, methods=["POST"],
                      scope="login-address"),
    ]

    @auth.arguments(TokenRequestSchema)
    @auth.response(201, TokenSchema)
    @auth.alt_response(401, response="UNAUTHORIZED")
    @auth.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, credentials):
        """Trade a username and password for a bearer token."""
        cfg = current_app.config
        return service.issue_token(db.session, now=current_clock().now(), username=credentials["username"],
                                   password=credentials["password"],
                                   ttl=timedelta(hours=cfg["TOKEN_TTL_HOURS"]), address=request.remote_addr,
                                   cheap_hash=cfg["PASSWORD_HASH_CHEAP"])

    @auth.login_required()
    @auth.response(204)
    def delete(self):
        """Revoke the token of this request (sign out)."""
        service.revoke_token(db.session, actor=current_actor(), now=current_clock().now(), token_id=current_token_id())


@me.route("")
class Me(MethodView):
    @me.login_required()
    @me.response(200, UserSchema)
    def get(self):
        """Return the signed-in user."""
        return service.get_user(db.session, actor=current_actor(), user_id=current_actor().user_id)


@users.route("")
class Users(MethodView):
    @users.login_required(Role.ADMIN, Role.MANAGER)
    @users.arguments(UserQueryArgsSchema, location="query")
    @users.response(200, UserSchema(many=True))
    @users.paginate(SelectPage)
    def get(self, filters):
        """List the users of the caller's branch subtree."""
        return service.list_users(db.session, actor=current_actor(), role=Role(filters["role"]) if "role" in filters
                                  else None, branch_code=filters.get("branch"), active=filters.get("active"))

    @users.login_required(Role.ADMIN, Role.MANAGER)
    @users.arguments(UserCreateSchema)
    @users.response(201, UserSchema)
    @users.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Create a user in the caller's branch subtree."""
        return service.create_user(db.session, actor=current_actor(), now=current_clock().now(),
                                   username=data["username"], password=data["password"], role=Role(data["role"]),
                                   branch_code=data["branch_code"], display_name=data["display_name"],
                                   phone=data["phone"], is_chief_coordinator=data["is_chief_coordinator"],
                                   cheap_hash=current_app.config["PASSWORD_HASH_CHEAP"])


@users.route("/<int:user_id>")
class UserById(MethodView):
    @users.login_required(Role.ADMIN, Role.MANAGER)
    @users.response(200, UserSchema)
    @users.alt_response(404, response="NOT_FOUND")
    def get(self, user_id):
        """Return a user."""
        return service.get_user(db.session, actor=current_actor(), user_id=user_id)


@users.route("/<int:user_id>/deactivate")
class UserDeactivation(MethodView):
    @users.login_required(Role.ADMIN, Role.MANAGER)
    @users.response(200, UserSchema)
    @users.alt_response(404, response="NOT_FOUND")
    @users.alt_response(409, response="CONFLICT")
    def post(self, user_id):
        """Deactivate a user; their tokens stop working at once."""
        return service.deactivate_user(db.session, actor=current_actor(), now=current_clock().now(),
                                       user_id=user_id)


@branches.route("")
class Branches(MethodView):
    @branches.login_required()
    @branches.response(200, BranchSchema(many=True))
    def get(self):
        """List the branches the caller may see."""
        return service.list_branches(db.session, actor=current_actor())

    @branches.login_required(Role.ADMIN)
    @branches.arguments(BranchCreateSchema)
    @branches.response(201, BranchSchema)
    @branches.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Create a branch."""
        return service.create_branch(db.session, actor=current_actor(), now=current_clock().now(),
                                     code=data["code"], name=data["name"], parent_code=data["parent_code"],
                                     timezone=data["timezone"], default_timezone=current_app.config["TIMEZONE"])


@branches.route("/<string:code>")
class BranchByCode(MethodView):
    @branches.login_required()
    @branches.response(200, BranchSchema)
    @branches.alt_response(404, response="NOT_FOUND")
    def get(self, code):
        """Return a branch."""
        return service.visible_branch(db.session, current_actor(), code)

    @branches.login_required(Role.ADMIN, Role.MANAGER)
    @branches.arguments(BranchPatchSchema)
    @branches.response(200, BranchSchema)
    @branches.alt_response(404, response="NOT_FOUND")
    def patch(self, changes, code):
        """Change a branch's name, time zone or arrival radius."""
        return service.update_branch(db.session, actor=current_actor(), now=current_clock().now(), code=code,
                                     changes=changes)


def register(api) -> None:
    """Register this domain's blueprints."""
    for blp in (auth, me, users, branches):
        api.register_blueprint(blp)
