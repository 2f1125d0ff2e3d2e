"""py-gitea (a Gitea client library from PyPI) opens a pull request, posts a status on its head,
reads the combined status and merges it, through its own request layer (py-gitea 0.2.10 has no
pull request methods). Usage: gitea_pull.py URL USER PASSWORD OWNER/REPO HEAD BASE"""
import sys

from gitea import Gitea, Repository

url, user, password, full_name, head, base = sys.argv[1:7]
owner, name = full_name.split("/")
gitea = Gitea(url, auth=(user, password))
repository = Repository.request(gitea, owner, name)
assert repository.full_name == full_name, repository.full_name

pull = gitea.requests_post(f"/repos/{full_name}/pulls", {"head": head, "base": base, "title": "From py-gitea", "body": "Opened by *py-gitea*."})
assert pull["state"] == "open" and pull["head"]["ref"] == head and pull["base"]["ref"] == base, pull
sha = pull["head"]["sha"]

status = gitea.requests_post(f"/repos/{full_name}/statuses/{sha}",
                             {"state": "success", "context": "py-gitea/check", "description": "fine", "target_url": "https://ci.example.org/1"})
assert status["status"] == "success" and status["context"] == "py-gitea/check", status
combined = gitea.requests_get(f"/repos/{full_name}/commits/{sha}/status")
assert combined["state"] == "success" and combined["total_count"] == 1, combined

listed = gitea.requests_get(f"/repos/{full_name}/pulls", params={"state": "open"})
assert [p["number"] for p in listed] == [pull["number"]], listed
merged = gitea.requests_post(f"/repos/{full_name}/pulls/{pull['number']}/merge", {"Do": "merge"})
assert merged["merged"] is True, merged
print("OK", pull["number"], merged["merge_commit_sha"])
