"""The benchmark model ("logit-network") as an idiomatic Mesa 3 model.

Each agent is a `mesa.Agent` holding its option, its affinities and a list of its m = 16
out-neighbours (drawn uniformly without replacement from the other N - 1 agents with the model's
`random`). A step is synchronous: `agents.do("decide")` (every agent reads its neighbours' current
options; with probability rho = 0.5 it picks k with probability proportional to
exp(lambda * (b_ik + J * c_ik / m)), J = 2, lambda = 1), then `agents.do("advance")`.

Usage: python logit_mesa.py --agents N --steps T --runs R [--seed S]
Prints one JSON object like the other peers.
"""

import argparse
import json
import math
import time

import mesa

K, M, RHO, J, LAMBDA = 3, 16, 0.5, 2.0, 1.0


class Voter(mesa.Agent):
    def __init__(self, model):
        super().__init__(model)
        self.option = self.random.randrange(K)
        self.next_option = self.option
        self.affinity = [self.random.random() for _ in range(K)]
        self.neighbours = []

    def decide(self):
        self.next_option = self.option
        if self.random.random() >= RHO:
            return
        counts = [0] * K
        for other in self.neighbours:
            counts[other.option] += 1
        weights = [math.exp(LAMBDA * (self.affinity[k] + J * counts[k] / M)) for k in range(K)]
        self.next_option = self.random.choices(range(K), weights=weights)[0]

    def advance(self):
        self.option = self.next_option


class LogitNetwork(mesa.Model):
    def __init__(self, agents, seed):
        super().__init__(rng=seed)
        Voter.create_agents(self, agents)
        voters = list(self.agents)
        for i, v in enumerate(voters):
            picks = self.random.sample(range(agents - 1), M)
            v.neighbours = [voters[j + 1 if j >= i else j] for j in picks]

    def step(self):
        self.agents.do("decide")
        self.agents.do("advance")

    def shares(self):
        counts = [0] * K
        for v in self.agents:
            counts[v.option] += 1
        return [c / len(self.agents) for c in counts]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=10_000)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--runs", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    started = time.perf_counter()
    setup = steps = 0.0
    shares = []
    for r in range(a.runs):
        t0 = time.perf_counter()
        model = LogitNetwork(a.agents, a.seed * 1_000_003 + r)
        t1 = time.perf_counter()
        for _ in range(a.steps):
            model.step()
        t2 = time.perf_counter()
        setup += t1 - t0
        steps += t2 - t1
        shares.append(model.shares())
    wall = time.perf_counter() - started
    print(json.dumps({
        "program": "mesa",
        "mesa": mesa.__version__,
        "agents": a.agents, "steps": a.steps, "runs": a.runs, "threads": 1,
        "wall_seconds": wall,
        "setup_cpu_seconds": setup,
        "step_cpu_seconds": steps,
        "agent_updates_per_second": a.agents * a.steps * a.runs / wall,
        "final_shares": shares,
    }))


if __name__ == "__main__":
    main()
