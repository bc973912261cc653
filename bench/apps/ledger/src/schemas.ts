import { z } from "zod";

export const NewAuthor = z.object({ name: z.string().min(1).max(200) });
export const NewPost = z.object({
  title: z.string().min(1).max(500),
  authorId: z.number().int().positive(),
});
export const Page = z.object({
  take: z.coerce.number().int().min(1).max(100).default(20),
  skip: z.coerce.number().int().min(0).default(0),
});
export type NewAuthor = z.infer<typeof NewAuthor>;
export type NewPost = z.infer<typeof NewPost>;
