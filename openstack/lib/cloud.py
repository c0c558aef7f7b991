"""The tenant-side fixtures every test needs: a flavor and a 1 MiB raw image.
Usage: cloud.py KEYSTONE_URL ADMIN_PW. Prints {"flavor":…, "image":…} as JSON."""
import json
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3

url, admin_pw = sys.argv[1:]
auth = v3.Password(auth_url=url, username="admin", password=admin_pw, project_name="admin",
                   user_domain_id="default", project_domain_id="default")
s = session.Session(auth=auth)
compute = {"service_type": "compute", "interface": "public"}
image = {"service_type": "image", "interface": "public"}

flavors = s.get("/flavors", endpoint_filter=compute).json()["flavors"]
flavor = next((f["id"] for f in flavors if f["name"] == "hvp.small"), None)
if flavor is None:
    flavor = s.post("/flavors", endpoint_filter=compute, json={"flavor": {
        "name": "hvp.small", "ram": 256, "vcpus": 1, "disk": 1}}).json()["flavor"]["id"]

images = s.get("/v2/images?name=hvp-raw", endpoint_filter=image).json()["images"]
if images:
    image_id = images[0]["id"]
else:
    image_id = s.post("/v2/images", endpoint_filter=image, json={
        "name": "hvp-raw", "disk_format": "raw", "container_format": "bare",
        "visibility": "public"}).json()["id"]
    s.put(f"/v2/images/{image_id}/file", endpoint_filter=image, data=b"\0" * 1048576,
          headers={"Content-Type": "application/octet-stream"})
print(json.dumps({"flavor": flavor, "image": image_id}))
