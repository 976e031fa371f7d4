// Disruptions a cluster does every day, under load: a consumer pod deleted, a rolling
// upgrade of the Resource Service. Clients must not notice.
import { helm, kubectl, run as runCommand } from '../kube.js'
import { type Api } from '../soundline.js'
import { UploadLoad, notPermanentAfter } from '../load.js'
import { serviceRelease } from '../install.js'

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function judged(api: Api, load: UploadLoad, what: string): Promise<string> {
  const outcomes = await load.stop()
  if (load.failed.length > 0) throw new Error(`${what}: ${load.failed.length}/${outcomes.length} uploads failed: ${JSON.stringify(load.failed.slice(0, 3))}`)
  const stuck = await notPermanentAfter(api, load.ids, 180_000)
  if (stuck.length > 0) throw new Error(`${what}: ${stuck.length}/${load.ids.length} not PERMANENT: ${stuck.slice(0, 10).join(', ')}`)
  const slowest = Math.max(...outcomes.map((o) => o.ms))
  return `${outcomes.length}/${outcomes.length} uploads 200 and PERMANENT (slowest ${slowest} ms)`
}

export async function processorDeleted(api: Api, run: string, perSecond: number): Promise<string> {
  const load = new UploadLoad(api, `${run}-processor`, perSecond)
  load.start()
  try {
    await pause(5_000)
    await kubectl('delete', 'pod', '-l', 'app.kubernetes.io/name=resource-processor', '--wait=false')
    await pause(3_000)
    await kubectl('rollout', 'status', 'deploy/resource-processor', '--timeout=180s')
    await pause(5_000)
  } catch (error) {
    await load.stop()
    throw error
  }
  return `processor pod deleted mid-load: ${await judged(api, load, 'processor deleted')}`
}

/** A second tag of the same image in the node's containerd stands for a new release. */
export async function upgradedUnderLoad(api: Api, run: string, perSecond: number, tag: string, newTag: string): Promise<string> {
  const tagged = await runCommand('ctr', ['-a', '.cache/k8s/cluster/containerd.sock', '-n', 'k8s.io', 'images', 'tag', '--force',
    `docker.io/soundline/resource-service:${tag}`, `docker.io/soundline/resource-service:${newTag}`])
  if (tagged.code !== 0) throw new Error(`ctr images tag: ${tagged.stderr}`)
  const load = new UploadLoad(api, `${run}-upgrade`, perSecond)
  load.start()
  const started = Date.now()
  try {
    await pause(3_000)
    await helm(...serviceRelease('resource-service', newTag))
    await pause(5_000)
  } catch (error) {
    await load.stop()
    throw error
  }
  const image = await kubectl('get', 'deploy/resource-service', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')
  if (!image.endsWith(`:${newTag}`)) throw new Error(`after the upgrade the Deployment runs ${image}`)
  return `helm upgrade to ${image} in ${Math.round((Date.now() - started) / 1000)} s under load: ${await judged(api, load, 'upgrade')}`
}
