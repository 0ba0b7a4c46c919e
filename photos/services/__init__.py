"""Photo Album's write logic. Views, tasks and commands call these; nothing hides in save()."""
