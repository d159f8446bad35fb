"""The least a claim can ask of the database, as a bare nameko service: read the task and the
membership by `_id` and write the task's next version with a compare-and-set. No rights, no
schema, no journal, no event, no view: what any implementation of `claim_task` must at least
spend, measured beside the real one to show how far it can go on this machine."""

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from pymongo import MongoClient


class Database(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.client = MongoClient(config["MONGO_URI"])
        self.db = self.client[config["VOLUNTEERS_DB"]]

    def stop(self):
        self.client.close()

    def get_dependency(self, worker_ctx):
        return self.db


class FloorService:
    name = "floor"
    db = Database()

    @rpc
    def claim(self, task_id: str, member_id: str) -> int:
        task = self.db.tasks.find_one({"_id": task_id})
        member = self.db.members.find_one({"_id": member_id})
        if task is None or member is None:
            return 0
        written = self.db.tasks.update_one({"_id": task_id, "version": task["version"]},
                                           {"$set": {"floor_probe": member_id}, "$inc": {"version": 1}})
        return written.modified_count
