"""Extensions, created unbound here and bound to an app in the factory."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from field_api.db import Base
from field_api.errors import Api
from field_api.security import WRITE_LIMIT

db = SQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
migrate = Migrate()
api = Api()
limiter = Limiter(key_func=get_remote_address, application_limits=[WRITE_LIMIT])
