import { createServer } from "node:http";
import ms from "ms";

const port = Number(process.env.PORT ?? 3000);
createServer((_request, response) => {
  response.writeHead(200, { "content-type": "text/plain" });
  response.end(`hello from CoDuck, up ${ms(Math.round(process.uptime() * 1000))}\n`);
}).listen(port, () => console.log(`listening on ${port}`));
