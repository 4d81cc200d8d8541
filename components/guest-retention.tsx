/** How long a guest's memory is kept: GUEST_TTL_DAYS after their last chat (the nightly job deletes it then). */
export function GuestRetention({ days }: { days: number }) {
  return <>{`As a guest, what you tell Engram is kept for ${days} ${days === 1 ? 'day' : 'days'} after your last chat.`}</>;
}
