"""nova-api's WSGI entry point (Debian ships it in nova-api, with a systemd unit we do not want)."""
from nova.api.openstack.compute.wsgi import init_application

application = init_application()
