"""py-gitea (a Gitea client library from PyPI) against the forge: create a repository, read a
file, add a webhook, list commits. Usage: gitea_client.py URL USER PASSWORD"""
import base64
import sys

from gitea import Gitea, Repository

url, user, password = sys.argv[1:4]
gitea = Gitea(url, auth=(user, password))
me = gitea.get_user()
assert me.username == user, me.username
print("version", gitea.get_version())

made = me.create_repo("client-made", description="made by py-gitea", autoInit=True, default_branch="main")
assert made.full_name == f"{user}/client-made", made.full_name

repository = Repository.request(gitea, user, "client-made")
assert repository.default_branch == "main" and repository.description == "made by py-gitea"
branches = [branch.name for branch in repository.get_branches()]
assert branches == ["main"], branches

files = repository.get_git_content()
readme = [entry for entry in files if entry.name == "README.md"][0]
text = base64.b64decode(repository.get_file_content(readme)).decode()
assert "# client-made" in text and "made by py-gitea" in text, text

hook = repository.create_gitea_hook("https://hooks.example.org/forge", ["push"])
assert hook["config"]["url"] == "https://hooks.example.org/forge", hook
assert [h["id"] for h in repository.list_hooks()] == [hook["id"]]

commits = repository.get_commits()
assert len(commits) == 1 and len(commits[0].sha) == 40, commits
assert commits[0].inner_commit["message"].startswith("Initial commit")

repository.delete_hook(hook["id"])
assert not repository.list_hooks()  # py-gitea reads an empty list as {}
print("OK", made.full_name, commits[0].sha)
