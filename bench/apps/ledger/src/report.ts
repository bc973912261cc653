import { format, subDays } from "date-fns";
import _ from "lodash";

export type Row = { id: number; title: string; authorId: number };

/** Posts per author, busiest first, with the day the report covers. */
export function postsPerAuthor(rows: readonly Row[], now = new Date()) {
  const counts = _.countBy(rows, (row) => row.authorId);
  const ranked = _.orderBy(
    Object.entries(counts).map(([authorId, posts]) => ({ authorId: Number(authorId), posts })),
    ["posts", "authorId"],
    ["desc", "asc"],
  );
  return { since: format(subDays(now, 7), "yyyy-MM-dd"), authors: ranked };
}
