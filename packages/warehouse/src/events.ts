import type { Row, SourceSnapshot } from './extract.js'
import { dayOf } from './extract.js'
import type { RowIndex } from './store.js'
import type { EventType } from './tables.js'

export interface PipelineEventRow {
  event_id: string
  type: EventType
  resource_id: number
  occurred_at: string
  size: string | null
  reason: string | null
  refresh_id: string
}

/** The state a resource reaches that is an event of its own. */
const STATE_EVENTS: Record<string, EventType | undefined> = { PERMANENT: 'permanent', FAILED: 'failed', DELETING: 'deleting' }

/**
 * The pipeline's history as the resource database records it (docs/warehouse.md
 * "pipeline_events"): a resource first seen is an upload (at created_at); a state it
 * reached since the last refresh is an event at updated_at; a row gone is a deletion at
 * its saga's completed_at. Compared with the index of the last refresh, so a refresh
 * emits each event once.
 */
export function deriveEvents(snapshot: SourceSnapshot, previous: RowIndex, refreshId: string): PipelineEventRow[] {
  const resources = snapshot.tables.find((changes) => changes.table.name === 'resources')
  if (!resources) return []
  const events: PipelineEventRow[] = []
  const event = (type: EventType, row: Pick<Row, 'id'>, occurredAt: string, extra: Partial<PipelineEventRow> = {}): void => {
    events.push({
      event_id: `${type}:${row.id}`,
      type,
      resource_id: row.id,
      occurred_at: occurredAt,
      size: null,
      reason: null,
      refresh_id: refreshId,
      ...extra,
    })
  }
  for (const row of resources.changed) {
    const before = previous.get(row.id)
    if (!before) event('uploaded', row, String(row.created_at), { size: String(row.size) })
    const reached = STATE_EVENTS[String(row.state)]
    if (reached && before?.state !== row.state)
      event(reached, row, String(row.updated_at), reached === 'failed' ? { reason: (row.failure_reason as string | null) ?? null } : {})
  }
  for (const id of resources.deleted) event('deleted', { id }, snapshot.deletedAt.get(id) ?? snapshot.takenAt)
  return events
}

export const eventDay = (event: PipelineEventRow): string => dayOf(event.occurred_at)
