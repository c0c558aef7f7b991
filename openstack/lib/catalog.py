"""Creates the service project, service users and the catalog in one client process
(much faster than one CLI call each). Usage: catalog.py KEYSTONE_URL ADMIN_PW SERVICE_PW
then NAME TYPE URL triples."""
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

url, admin_pw, service_pw, *rest = sys.argv[1:]
auth = v3.Password(auth_url=url, username="admin", password=admin_pw, project_name="admin",
                   user_domain_id="default", project_domain_id="default")
ks = client.Client(session=session.Session(auth=auth))
admin_role = ks.roles.find(name="admin")
service_project = ks.projects.create("service", domain="default")
for user in ("nova", "placement", "glance", "neutron"):
    u = ks.users.create(user, domain="default", password=service_pw)
    ks.roles.grant(admin_role, user=u, project=service_project)
# Nova sends a service token along with users' requests: the service role is checked.
service_role = ks.roles.create("service")
for user in ks.users.list(domain="default"):
    if user.name in ("nova", "placement", "glance", "neutron"):
        ks.roles.grant(service_role, user=user, project=service_project)
for name, kind, endpoint in zip(rest[0::3], rest[1::3], rest[2::3]):
    svc = ks.services.create(name, type=kind)
    for interface in ("public", "internal", "admin"):
        ks.endpoints.create(svc, endpoint, interface=interface, region="RegionOne")
