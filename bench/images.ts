// The images the benchmarks deploy: the local ones built by test/support/build-images.sh
// (no registry on these machines), or others named in the environment.
export const IMAGE_FLAGS = [
  '--redis-image',
  process.env.REDIS_HA_TEST_REDIS_IMAGE ?? 'redis-ha-local/redis:7.0',
  '--haproxy-image',
  process.env.REDIS_HA_TEST_HAPROXY_IMAGE ?? 'redis-ha-local/haproxy:2.6',
  '--exporter-image',
  process.env.REDIS_HA_TEST_EXPORTER_IMAGE ?? 'redis-ha-local/redis-exporter:1.45',
  '--prometheus-image',
  process.env.REDIS_HA_TEST_PROMETHEUS_IMAGE ?? 'redis-ha-local/prometheus:2.42',
  '--alertmanager-image',
  process.env.REDIS_HA_TEST_ALERTMANAGER_IMAGE ?? 'redis-ha-local/alertmanager:0.25',
];
