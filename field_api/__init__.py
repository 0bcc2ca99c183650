"""field_api: the backend of an insurer's field staff and their coordinators."""
