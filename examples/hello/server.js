import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 3000);
createServer((_request, response) => {
  response.writeHead(200, { "content-type": "text/plain" });
  response.end("hello from CoDuck\n");
}).listen(port, () => console.log(`listening on ${port}`));
