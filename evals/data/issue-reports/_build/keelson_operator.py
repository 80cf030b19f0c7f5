# Project 4: "keelson-operator" - fictional Kubernetes operator for PostgreSQL/MySQL clusters
from common import write

ISSUES = [
("bug", "Operator panics with nil pointer dereference when spec.backup is not set", r"""
Installed 1.2.0 via helm, applied a minimal cluster without a backup section. Operator goes into CrashLoopBackOff:

```
2024-05-02T09:14:21Z	INFO	Reconciling KeelsonCluster	{"controller": "keelsoncluster", "namespace": "apps", "name": "orders-db"}
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x1a7c2e4]

goroutine 412 [running]:
github.com/keelson-io/keelson-operator/internal/controller.(*ClusterReconciler).reconcileBackupSchedule(...)
	/workspace/internal/controller/backup.go:57 +0x64
github.com/keelson-io/keelson-operator/internal/controller.(*ClusterReconciler).Reconcile(...)
	/workspace/internal/controller/cluster_controller.go:143 +0x8f1
```

```yaml
apiVersion: db.keelson.io/v1beta1
kind: KeelsonCluster
metadata:
  name: orders-db
spec:
  engine: postgresql
  version: "16"
  instances: 3
  storage:
    size: 50Gi
```
Adding an empty `backup: {}` works around it. The docs say backup is optional.
"""),
("bug", "Storage resize stuck at phase Resizing on EKS (gp3)", r"""
Changed `spec.storage.size` from 100Gi to 200Gi. The PVCs got resized (kubectl get pvc shows 200Gi, filesystem too), but the cluster status is stuck:

```
$ kubectl get kc billing -o jsonpath='{.status.phase}'
Resizing
```
for 2 days now. Operator log repeats:
```
INFO	waiting for PVC resize	{"pvc": "billing-2-data", "condition": "FileSystemResizePending"}
```
But billing-2-data has no conditions anymore. I think the operator is reading a stale cached PVC. Restarting the operator pod fixes it.

EKS 1.29, ebs-csi 1.30, operator 1.2.1
"""),
("feature", "Support PostgreSQL 17", r"""
PG17 has been GA since September. Any plans to support `version: "17"`? Right now the webhook rejects it: `spec.version: Unsupported value: "17": supported values: "13", "14", "15", "16"`.
"""),
("question", "How to expose the primary through a LoadBalancer?", r"""
I need to reach the primary from outside the cluster (a legacy app on a VM). The operator creates `<name>-rw` as ClusterIP. If I edit it to LoadBalancer it gets reverted. Is there a supported way? Something like

```yaml
spec:
  services:
    rw:
      type: LoadBalancer
      annotations:
        service.beta.kubernetes.io/aws-load-balancer-internal: "true"
```
I couldn't find it in the CRD reference.
"""),
("bug", "Failover takes >5 min when primary node is drained", r"""
**What happened**
`kubectl drain` on the node running the primary. The primary pod was evicted and it took 5m40s until a replica was promoted. Apps were down the whole time.

**What you expected to happen**
Failover within ~30s (`spec.failover.timeout: 30s`).

**Details**
Looks like the operator waits for the old pod to be fully deleted (terminationGracePeriodSeconds is 300 in our values because of long checkpoints) before promoting. For a planned drain I'd expect a switchover to happen first (there's a PDB, so the operator should know about the eviction).

operator 1.2.1, PostgreSQL 15, GKE 1.28
"""),
("question", "Backups to MinIO fail with SignatureDoesNotMatch", r"""
```
ERROR	backup failed	{"backup": "db/nightly-20240601", "error": "operation error S3: PutObject, https response error StatusCode: 403, RequestID: 17D4E2A9B3C1F0AA, HostID: , api error SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your key and signing method."}
```
```yaml
backup:
  s3:
    bucket: pg-backups
    endpoint: https://minio.storage.svc:9000
    region: us-east-1
    credentialsSecret: minio-creds
```
Credentials are correct, `mc` works with the same keys. Is MinIO supported?
"""),
("feature", "Allow custom sidecar containers in the database pods", r"""
We need to run a log shipper (vector) and a pgbadger exporter next to each postgres instance. There's no way to add containers to the pod template, and patching the StatefulSet gets reverted by the operator.

Something like:
```yaml
spec:
  podTemplate:
    spec:
      containers:
        - name: vector
          image: timberio/vector:0.38.0-debian
          volumeMounts:
            - name: pgdata
              mountPath: /pgdata
              readOnly: true
```
merged strategically with the operator-managed pod spec.
"""),
("question", "CRDs not updated after helm upgrade to 1.3.0", r"""
After `helm upgrade keelson keelson/keelson-operator --version 1.3.0` the new `spec.pooler` field is rejected:

```
error: error validating "cluster.yaml": error validating data: ValidationError(KeelsonCluster.spec): unknown field "pooler" in io.keelson.db.v1beta1.KeelsonCluster.spec
```
The operator pod is running 1.3.0. Did I miss a step?
"""),
("bug", "Reconcile hot loop, operator at 100% CPU", r"""
After upgrading to 1.3.0 the operator uses a full core and logs this thousands of times per minute:

```
2024-06-11T12:01:03.114Z	DEBUG	status changed, requeue	{"cluster": "analytics/warehouse", "field": "status.lastReconcileTime"}
2024-06-11T12:01:03.121Z	DEBUG	status changed, requeue	{"cluster": "analytics/warehouse", "field": "status.lastReconcileTime"}
```
Writing lastReconcileTime to status triggers a new reconcile, which writes it again... The controller should probably use a GenerationChangedPredicate or not write timestamps on every loop. Oddly it only happens for clusters with `spec.monitoring.enabled: true`.
"""),
("feature", "PITR to a specific LSN or named restore point", r"""
`targetTime` is great, but for some incidents we know the exact LSN (from pg_waldump), or we create a restore point before migrations (`pg_create_restore_point('before_v42')`). Please add `targetLSN` and `targetName` to KeelsonRestore, mapped to recovery_target_lsn / recovery_target_name.
"""),
("bug", "KeelsonRestore ignores spec.targetTime, always restores latest", r"""
```yaml
apiVersion: db.keelson.io/v1beta1
kind: KeelsonRestore
metadata:
  name: before-migration
spec:
  sourceCluster: shop-db
  targetCluster: shop-db-restored
  targetTime: "2024-05-20T14:30:00Z"
```
The restored cluster contains rows inserted at 15:10. The restore pod log shows `recovery_target_time` isn't set at all:

```
restore_command = 'keelson-agent wal-fetch %f %p'
recovery_target_action = 'promote'
```
Operator 1.2.1. This is pretty critical for us, PITR was the main reason we picked keelson.
"""),
("bug", "Webhook certificate expires after 1 year and is never rotated", r"""
All `kubectl apply` of KeelsonCluster objects started failing today:

```
Error from server (InternalError): error when creating "cluster.yaml": Internal error occurred: failed calling webhook "vkeelsoncluster.kb.io": failed to call webhook: Post "https://keelson-webhook-service.keelson-system.svc:443/validate-db-keelson-io-v1beta1-keelsoncluster?timeout=10s": tls: failed to verify certificate: x509: certificate has expired or is not yet valid
```
We installed exactly one year ago. The chart generates a self-signed cert with `genSignedCert` and 365 days validity, and nothing renews it. Deleting the secret + helm upgrade fixed it. Either support cert-manager optionally or regenerate on upgrade/startup.
"""),
("question", "Namespace-scoped install without ClusterRole?", r"""
In our company tenants can't create ClusterRoles. Is it possible to run the operator watching a single namespace with only a Role/RoleBinding? I see WATCH_NAMESPACE in the deployment but the chart still creates a ClusterRole.
"""),
("feature", "Expose replication lag as Prometheus metric", r"""
The built-in exporter has connection and size metrics, but no replication lag per replica. We have to run a custom query in a separate exporter. A `keelson_replication_lag_bytes{cluster,instance}` metric would be really useful for alerting.
"""),
("bug", "[MySQL] member stuck in RECOVERING after pod restart", r"""
```
mysql> SELECT MEMBER_HOST, MEMBER_STATE FROM performance_schema.replication_group_members;
+-----------------------------------+--------------+
| MEMBER_HOST                       | MEMBER_STATE |
+-----------------------------------+--------------+
| crm-0.crm-hl.db.svc.cluster.local | ONLINE       |
| crm-1.crm-hl.db.svc.cluster.local | ONLINE       |
| crm-2.crm-hl.db.svc.cluster.local | RECOVERING   |
+-----------------------------------+--------------+
```
crm-2 stays RECOVERING forever after it was OOM-killed. error log:
```
[ERROR] [MY-010584] [Repl] Replica I/O for channel 'group_replication_recovery': Error connecting to source 'keelson_repl@crm-0.crm-hl.db.svc.cluster.local:3306'. This was attempt 10/10, with a delay of 60 seconds between attempts. Message: Authentication plugin 'caching_sha2_password' reported error: Authentication requires secure connection. Error_code: MY-002061
```
So the recovery channel isn't configured with SSL / GET_SOURCE_PUBLIC_KEY. MySQL 8.0.36, operator 1.2.1.
"""),
("bug", "Deleting a KeelsonCluster deleted the PVCs despite reclaimPolicy: Retain", r"""
We had `spec.storage.reclaimPolicy: Retain` set specifically to avoid this. Someone deleted the cluster CR by mistake (wrong kube context) and all three PVCs were deleted with it, and since the StorageClass has reclaimPolicy Delete, the volumes are gone too. Luckily we had backups.

Looking at the code, the PVCs get an ownerReference to the KeelsonCluster regardless of `reclaimPolicy`, so the garbage collector removes them. reclaimPolicy is only checked in the finalizer, which runs after GC has already done its thing.

This is a data-loss bug and should be in big letters in the release notes. 1.1.4.
"""),
("feature", "arm64 images", r"""
We run on Graviton nodes. The operator and agent images are amd64 only (`exec format error`). Would be great to have multi-arch images. Happy to help with the buildx setup in GitHub Actions.
"""),
("question", "Upgrade path 0.9 -> 1.x?", r"""
We're still on 0.9.4 with v1alpha1 CRs. Can we go straight to 1.3 or do we need to step through 1.0? Is there a conversion webhook for v1alpha1 -> v1beta1 or do we have to rewrite the manifests? Any downtime for the database pods during the upgrade?
"""),
("bug", "pgHba entries from spec are appended after the operator's reject rule", r"""
```yaml
spec:
  postgresql:
    pgHba:
      - hostssl all reporting 10.20.0.0/16 scram-sha-256
```
Generated pg_hba.conf:
```
local all all peer
hostssl replication keelson_repl all scram-sha-256
host all all all reject
hostssl all reporting 10.20.0.0/16 scram-sha-256
```
Since the reject line comes first, my rule never matches. User rules should go before the catch-all reject.
"""),
("bug", "status.conditions not updated when a scheduled backup fails", r"""
A KeelsonBackup fails (S3 credentials expired) and the KeelsonBackup object shows phase Failed, but the cluster's `BackupHealthy` condition stays True with the timestamp of the last successful backup. Our alerting watches that condition so we didn't notice for 9 days. 1.2.1
"""),
("feature", "Managed PgBouncer pooler", r"""
+1 for a managed connection pooler. We run pgbouncer ourselves in front of keelson clusters but keeping the userlist and the primary endpoint in sync is annoying.

Maybe a separate CRD `KeelsonPooler` referencing a cluster, with `mode: transaction`, `instances: 2`, and auth via auth_query so no userlist is needed.
"""),
("bug", "keelson-agent:1.2.3 image tag does not exist", r"""
```
Failed to pull image "ghcr.io/keelson-io/keelson-agent:1.2.3": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/keelson-io/keelson-agent:1.2.3": failed to resolve reference "ghcr.io/keelson-io/keelson-agent:1.2.3": ghcr.io/keelson-io/keelson-agent:1.2.3: not found
```
Chart 1.2.3 references agent 1.2.3 but only 1.2.2 is published. All new clusters are stuck in Init.
"""),
("question", "Sizing recommendations for a ~500GB database", r"""
Migrating a 500GB Postgres (mostly OLTP, ~2k TPS peak) from a VM with 16 vCPU / 64GB. Any recommendations for resources, shared_buffers and storage class when running under keelson? Should I set requests = limits for memory?
"""),
("bug", "Operator pods fail on OpenShift: runAsUser 1000 not in allowed range", r"""
```
Error creating: pods "keelson-operator-6d9f7b8c5-" is forbidden: unable to validate against any security context constraint: [provider "restricted-v2": .spec.securityContext.runAsUser: Invalid value: 1000: must be in the ranges: [1000680000, 1000689999]]
```
The chart hardcodes runAsUser: 1000. Setting `securityContext: {}` in values doesn't remove it because the template uses `default`. OpenShift 4.14.
"""),
("feature", "Support topologySpreadConstraints", r"""
Only `affinity` can be set. We'd like to spread instances across zones with `topologySpreadConstraints` (maxSkew 1, whenUnsatisfiable DoNotSchedule), which is much easier than writing anti-affinity rules.
"""),
("bug", "Replicas fail to reconnect after rotating replication user password", r"""
Updated the `shop-db-replication` secret as described in docs/credentials.md. The primary got the new password, replicas keep using the old one:

```
FATAL:  password authentication failed for user "keelson_repl"
```
They only pick it up after deleting the pods. Either the docs should say a rolling restart is needed, or (better) the operator should do it.
"""),
("bug", "READY column shows 0/3 although all pods are running", r"""
```
$ kubectl get keelsonclusters -A
NAMESPACE   NAME        ENGINE       VERSION   READY   PHASE     AGE
payments    ledger-db   postgresql   16        0/3     Running   12d
```
All 3 pods are Ready and the cluster works. `.status.readyInstances` is 3, but the printer column points to `.status.instances.ready` (old field from v1alpha1?). Cosmetic but it confuses people on call.
"""),
("feature", "Proposal: declarative databases and roles via CRDs", r"""
Currently databases/roles beyond the bootstrap ones have to be created manually with psql, which doesn't fit GitOps.

Proposal: two new CRDs

```yaml
apiVersion: db.keelson.io/v1alpha1
kind: KeelsonDatabase
metadata:
  name: orders
spec:
  cluster: shop-db
  owner: orders_app
  extensions: [pgcrypto]
  reclaimPolicy: Retain
---
apiVersion: db.keelson.io/v1alpha1
kind: KeelsonRole
metadata:
  name: orders-app
spec:
  cluster: shop-db
  roleName: orders_app
  login: true
  passwordSecretRef:
    name: orders-app-credentials
  connectionLimit: 50
```
The operator would reconcile them via the primary, never drop anything unless `reclaimPolicy: Delete`, and report status conditions. Open question: how to handle roles that already exist (adopt vs fail).
"""),
("question", "Why does the operator need pods/exec?", r"""
Our security review flagged the `pods/exec` permission in the ClusterRole. What is it used for, and can it be disabled if we don't need it?
"""),
("bug", "Backup CronJob starts a new job while the previous is still running", r"""
Full backups of our 2TB cluster take ~7h, schedule is every 6h. We end up with two backup jobs running at the same time fighting over IO. The generated CronJob has `concurrencyPolicy: Allow` even though we set `spec.backup.concurrencyPolicy: Forbid`. Looks like the field is accepted by the CRD but never copied.
"""),
("bug", "WAL archive backlog fills the volume when S3 is unreachable", r"""
The S3 endpoint was unreachable for ~4h (network policy change). WAL archiving kept failing and pg_wal grew until the data volume was 100% full and the primary crashed. No event, no condition, no metric change on the cluster - only `archive_command failed` lines in the postgres log.

Expected at least a warning condition (`WALArchivingHealthy=False`) and ideally some protection.
"""),
("feature", "Azure Blob Storage as backup target", r"""
Backups support S3 and GCS. We're on AKS and would like to use Azure Blob with workload identity instead of running a MinIO gateway. `spec.backup.azure: { container, storageAccount }`?
"""),
("bug", "panic: index out of range [0] with length 0", r"""
```
panic: runtime error: index out of range [0] with length 0

goroutine 231 [running]:
github.com/keelson-io/keelson-operator/internal/topology.PickPrimary(...)
	/workspace/internal/topology/primary.go:38
```
happens when scaling `instances` to 0 (we do that at night on staging). 1.3.0
"""),
("question", "Is it possible to run a standby cluster in another Kubernetes cluster?", r"""
For DR we want a replica cluster in a second region (different k8s cluster) that streams from the primary cluster or replays WAL from the S3 bucket. Is this supported? I saw `spec.replica` in the CRD but no docs.
"""),
("bug", "password authentication failed for user keelson_monitor every 30s after upgrade to 1.3", r"""
After upgrading the operator 1.2.1 -> 1.3.0, postgres logs are full of:

```
2024-06-12 08:00:30.112 UTC [2231] FATAL:  password authentication failed for user "keelson_monitor"
2024-06-12 08:00:30.112 UTC [2231] DETAIL:  Connection matched pg_hba.conf line 4: "host all all 0.0.0.0/0 scram-sha-256"
```
The exporter sidecar was restarted with the new secret (`<cluster>-monitoring`), but the role in the database still has the old password. Only existing clusters, new clusters are fine. Upgrade notes don't mention anything.
"""),
("feature", "Annotation to pause reconciliation during maintenance", r"""
During manual maintenance (e.g. pg_upgrade tests, fixing a broken replica by hand) the operator keeps "fixing" things and restarting pods. I'd like something like `keelson.io/reconcile: paused` on a cluster, so the operator skips it until the annotation is removed. Currently the only option is scaling the operator to 0, which affects all clusters.
"""),
("bug", "Switchover annotation promotes the replica with the highest lag", r"""
`kubectl annotate kc inventory keelson.io/switchover=auto` promoted inventory-2, which was ~40MB behind (it was rebuilding). We lost the last few seconds of writes. I'd expect `auto` to pick the replica with the lowest lag, or at least refuse if the candidate lags more than `maximumLagOnFailover`.

```
INFO	switchover requested	{"candidate": "inventory-2", "lag_bytes": 41943040}
```
"""),
("question", "Pods stuck in Pending: pod has unbound immediate PersistentVolumeClaims", r"""
Fresh install on a bare-metal kubeadm cluster. All database pods are Pending:

```
Events:
  Type     Reason            Age   From               Message
  ----     ------            ----  ----               -------
  Warning  FailedScheduling  2m    default-scheduler  0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.
```
Operator logs look normal. What am I missing?
"""),
("bug", "shared_preload_libraries from spec gets overwritten", r"""
```yaml
spec:
  postgresql:
    parameters:
      shared_preload_libraries: "pg_stat_statements,pg_cron"
```
In the running config it's only `pg_stat_statements,keelson_hooks`. pg_cron isn't loaded, so `CREATE EXTENSION pg_cron` fails. The operator should merge its own libs with the user's list, not replace it.
"""),
("feature", "Support TLS client certificate authentication for app users", r"""
Our security team requires cert-based auth for service accounts. Would be great if KeelsonCluster could take a client CA (secret ref) and generate `hostssl ... cert` pg_hba rules, ideally integrated with cert-manager Certificates.
"""),
("bug", "Two operator replicas reconciling at the same time after leader election lost", r"""
Running 2 replicas for HA. During an API server hiccup, the leader lost its lease but kept reconciling for another ~40s while the second replica took over. Both created a backup job and both tried a switchover. Log from the old leader:

```
E0612 10:22:41.002 leaderelection.go:340] Failed to update lock: Put "https://10.96.0.1:443/apis/coordination.k8s.io/v1/namespaces/keelson-system/leases/keelson-operator-lock": context deadline exceeded
I0612 10:22:41.003 leaderelection.go:285] failed to renew lease keelson-system/keelson-operator-lock: timed out waiting for the condition
INFO	Reconciling KeelsonCluster ...
```
The manager should exit when it loses leadership. 1.2.1
"""),
("feature", "Backup retention by count", r"""
`spec.backup.retention` only takes a duration (`14d`). For clusters with irregular backups (manual + scheduled) we'd prefer "keep the last 10 full backups", e.g. `retention: { fullBackups: 10 }`.
"""),
("bug", "Helm value operator.resources is not applied", r"""
values.yaml documents `operator.resources` but the deployment template uses `.Values.resources`. Setting `operator.resources.limits.memory: 512Mi` has no effect; the operator got OOM killed at the default 128Mi with ~60 clusters. chart 1.2.1
"""),
("question", "PostGIS / TimescaleDB support?", r"""
Does keelson support extensions that aren't in the default image, like PostGIS or TimescaleDB? Can I use a custom image based on yours, and what does the image need to contain for the agent to work?
"""),
("bug", "Cluster stuck in Initializing forever when initdb SQL has an error", r"""
We use `spec.bootstrap.initdb.postInitSQLRef` pointing to a ConfigMap. There was a typo in the SQL. The cluster just stays in `Initializing` - no event, no condition, the operator log only says `waiting for bootstrap job`. The bootstrap job pod is in Error with:

```
psql:/scripts/init.sql:12: ERROR:  syntax error at or near "CRATE"
```
Took a while to find. The failure should be surfaced in the cluster status/events.
"""),
("feature", "kubectl plugin for common operations", r"""
Something like `kubectl keelson status shop-db`, `kubectl keelson switchover shop-db --to shop-db-2`, `kubectl keelson psql shop-db`. Remembering the annotations and secret names is error prone at 3am.
"""),
("question", "How do I connect with psql from my laptop?", r"""
Sorry, new to k8s. The cluster is running, how do I connect with psql from my machine, and where is the password for the postgres user?
"""),
]

if __name__ == "__main__":
    write("keelson-operator", ISSUES, first=412, seed=404, max_gap=11)
