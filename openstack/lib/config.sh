# Writes every service's configuration under $STATE_DIR/etc. Sourced by openstack/up.

DB="postgresql+psycopg2://postgres@127.0.0.1:$PG_PORT"
KEYSTONE_URL="http://127.0.0.1:$KEYSTONE_PORT/v3"
RABBIT_URL="rabbit://guest:guest@127.0.0.1:$RABBIT_PORT/"

# keystonemiddleware and the clients nova uses towards other services: the same block
# under several section names.
service_auth() {
  local section="$1" user="$2"
  cat <<CONF
[$section]
auth_url = $KEYSTONE_URL
www_authenticate_uri = $KEYSTONE_URL
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $user
password = $SERVICE_PASSWORD
region_name = RegionOne
valid_interfaces = public
CONF
}

write_config() {
  local etc="$STATE_DIR/etc"
  mkdir -p "$etc/keystone" "$etc/placement" "$etc/glance" "$etc/nova"

  cat >"$etc/keystone/keystone.conf" <<CONF
[database]
connection = $DB/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $STATE_DIR/keystone/fernet-keys
[credential]
key_repository = $STATE_DIR/keystone/credential-keys
CONF

  {
    cat <<CONF
[placement_database]
connection = $DB/placement
[api]
auth_strategy = keystone
CONF
    service_auth keystone_authtoken placement
  } >"$etc/placement/placement.conf"

  {
    cat <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 1
[database]
connection = $DB/glance
[paste_deploy]
flavor = keystone
config_file = $etc/glance/glance-api-paste.ini
[glance_store]
stores = file
default_store = file
filesystem_store_datadir = $STATE_DIR/glance/images
CONF
    service_auth keystone_authtoken glance
  } >"$etc/glance/glance-api.conf"
  # The paste file ships in glance-api, which would pull in a systemd service: this is
  # the v2 API with keystone auth and nothing else.
  cat >"$etc/glance/glance-api-paste.ini" <<'CONF'
[pipeline:glance-api-keystone]
pipeline = versionnegotiation authtoken context rootapp
[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app
[app:apiversions]
paste.app_factory = glance.api.versions:create_resource
[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory
[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true
[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory
CONF

  # Shared by every nova process; no database credentials (computes must not have them).
  {
    cat <<CONF
[DEFAULT]
transport_url = $RABBIT_URL
my_ip = 127.0.0.1
state_path = $STATE_DIR/nova
compute_driver = fake.FakeLiveMigrateDriver
# A killed compute shows down in ~20 s, which is how a host reboot looks to nova.
report_interval = 5
service_down_time = 20
# Tests take the cloud down often: no need to wait for in-flight RPCs on the way out.
graceful_shutdown_timeout = 2
[api]
auth_strategy = keystone
[wsgi]
api_paste_config = $etc/nova/api-paste.ini
[oslo_concurrency]
lock_path = $STATE_DIR/nova/locks
[scheduler]
discover_hosts_in_cells_interval = -1
workers = 1
[conductor]
workers = 1
[filter_scheduler]
# Otherwise the scheduler's cache keeps a migrated server on its old host for up to
# 120 s and anti-affinity wrongly refuses the drained host.
track_instance_changes = false
[quota]
instances = -1
cores = -1
ram = -1
server_groups = -1
server_group_members = -1
[glance]
valid_interfaces = public
region_name = RegionOne
CONF
    service_auth keystone_authtoken nova
    service_auth placement placement
    service_auth neutron neutron
  } >"$etc/nova/nova.conf"

  cat >"$etc/nova/nova-db.conf" <<CONF
[api_database]
connection = $DB/nova_api
[database]
connection = $DB/nova
CONF

  local c
  for c in "${COMPUTES[@]}"; do
    printf '[DEFAULT]\nhost = %s\n' "$c" >"$etc/nova/$c.conf"
  done

  cat >"$etc/nova/api-paste.ini" <<'CONF'
[composite:osapi_compute]
use = call:nova.api.openstack.urlmap:urlmap_factory
/: oscomputeversions
/v2.1: openstack_compute_api_v21
[composite:openstack_compute_api_v21]
use = call:nova.api.auth:pipeline_factory_v21
keystone = request_id faultwrap authtoken keystonecontext osapi_compute_app_v21
[filter:request_id]
paste.filter_factory = oslo_middleware:RequestId.factory
[filter:faultwrap]
paste.filter_factory = nova.api.openstack:FaultWrapper.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
[filter:keystonecontext]
paste.filter_factory = nova.api.auth:NovaKeystoneContext.factory
[app:osapi_compute_app_v21]
paste.app_factory = nova.api.openstack.compute:APIRouterV21.factory
[pipeline:oscomputeversions]
pipeline = faultwrap oscomputeversionapp
[app:oscomputeversionapp]
paste.app_factory = nova.api.openstack.compute.versions:Versions.factory
CONF
}
