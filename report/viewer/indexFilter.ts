/**
 * The report index page's script, bundled at build time (report/viewer/bundle.mjs) and inlined
 * into index.html: filtering the table of scenarios by words and by mismatch.
 */

function main(): void {
  const q = document.getElementById('filter') as HTMLInputElement | null
  const only = document.getElementById('only-mismatch') as HTMLInputElement | null
  const apply = (): void => {
    const words = (q?.value ?? '').toLowerCase().split(/\s+/).filter(Boolean)
    document.querySelectorAll<HTMLTableRowElement>('#index tbody tr').forEach((tr) => {
      const text = tr.textContent.toLowerCase()
      const show = words.every((w) => text.includes(w)) && (!only?.checked || tr.dataset.ok === 'false')
      tr.hidden = !show
    })
  }
  q?.addEventListener('input', apply)
  only?.addEventListener('change', apply)
}

main()
