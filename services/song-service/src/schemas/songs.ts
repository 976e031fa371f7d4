// The Song schemas are the contract callers share (docs/architecture.md "Contracts").
export { Song, SongFields } from '@soundline/contracts'
