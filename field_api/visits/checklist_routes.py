"""HTTP routes: checklist templates and the follow-up tasks on clients."""

from __future__ import annotations

from flask.views import MethodView

from field_api.access import Blueprint, current_actor
from field_api.accounts.models import Role
from field_api.clock import current_clock
from field_api.extensions import db
from field_api.pagination import Presented, SelectPage
from field_api.visits import checklists as service
from field_api.visits import tasks as task_service
from schemas.checklists import ChecklistPublishSchema, ChecklistSummarySchema, ChecklistVersionSchema
from schemas.visits import TaskDoneSchema, TaskQueryArgsSchema, TaskSchema

checklists = Blueprint("checklists", __name__, url_prefix="/api/v1/checklists",
                       description="Versioned checklists from the service standard.")
tasks = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks",
                  description="Follow-ups on clients (the thank-you letter).")
READERS = (Role.SALESPERSON, Role.COORDINATOR, Role.MANAGER, Role.ADMIN)


@checklists.route("")
class Checklists(MethodView):
    @checklists.login_required()
    @checklists.response(200, ChecklistSummarySchema(many=True))
    def get(self):
        """List every version of every checklist template."""
        return service.list_versions(db.session, now=current_clock().now())


@checklists.route("/<string:code>/versions")
class ChecklistVersions(MethodView):
    @checklists.login_required(Role.ADMIN)
    @checklists.arguments(ChecklistPublishSchema)
    @checklists.response(201, ChecklistVersionSchema, description="Published")
    @checklists.alt_response(200, schema=ChecklistVersionSchema, description="Already published with this content")
    @checklists.alt_response(409, response="CONFLICT")
    def post(self, data, code):
        """Publish the next version of a template; visits already recorded keep theirs."""
        version, created = service.publish_version(db.session, actor=current_actor(), now=current_clock().now(),
                                                   code=code, number=data["version"], content=data)
        return version, 201 if created else 200


@checklists.route("/<string:code>/versions/<int:number>")
class ChecklistVersionByNumber(MethodView):
    @checklists.login_required()
    @checklists.response(200, ChecklistVersionSchema)
    @checklists.alt_response(404, response="NOT_FOUND")
    def get(self, code, number):
        """Return one version of a template with its items."""
        return service.get_version(db.session, now=current_clock().now(), code=code, number=number)


@tasks.route("")
class Tasks(MethodView):
    @tasks.login_required(*READERS)
    @tasks.arguments(TaskQueryArgsSchema, location="query")
    @tasks.response(200, TaskSchema(many=True))
    @tasks.paginate(SelectPage)
    def get(self, filters):
        """List the follow-ups the caller may see, soonest due first, each met, missed or pending."""
        query = task_service.list_tasks(db.session, actor=current_actor(), filters=filters)
        now = current_clock().now()
        return Presented(query, lambda task: task_service.view(db.session, task, now=now))


@tasks.route("/<int:task_id>")
class TaskById(MethodView):
    @tasks.login_required(*READERS)
    @tasks.response(200, TaskSchema)
    @tasks.alt_response(404, response="NOT_FOUND")
    def get(self, task_id):
        """Return a follow-up."""
        return task_service.get_task(db.session, actor=current_actor(), now=current_clock().now(), task_id=task_id)


@tasks.route("/<int:task_id>/done")
class TaskDone(MethodView):
    @tasks.login_required(*READERS)
    @tasks.arguments(TaskDoneSchema)
    @tasks.response(200, TaskSchema)
    @tasks.alt_response(404, response="NOT_FOUND")
    @tasks.alt_response(409, response="CONFLICT")
    def post(self, data, task_id):
        """Record that the follow-up was sent (date; by post or in person)."""
        return task_service.record_done(db.session, actor=current_actor(), now=current_clock().now(),
                                        task_id=task_id, done_on=data["done_on"], via=data["via"])


BLUEPRINTS = (checklists, tasks)
