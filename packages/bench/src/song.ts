/** The contract's example song: the body every bench that serves or posts a song uses. */
export function exampleSong(id: number) {
  return { id, name: 'We are the champions', artist: 'Queen', album: 'News of the world', duration: '02:59', year: '1977' }
}
