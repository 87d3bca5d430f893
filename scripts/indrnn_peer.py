"""The IndRNN layer of the PyTorch peers (scripts/bench-train-peer.py for speed, scripts/accuracy-peer.py for
accuracy): h_t = relu(z_t + u * h_{t-1}) -> BN over (T*B) -> dropout with one mask per sequence, as ours.
The recurrence is a loop over time of elementwise tensor ops, as in the authors' CPU code.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def recurrent_bound(mag, seq_len):
    """U_bound = mag^(1/T): |u| <= it keeps a gradient through T steps within a factor mag."""
    return mag ** (1.0 / seq_len)


class IndRec(nn.Module):
    """The recurrence, BN over batch x time and dropout. `last`: u starts in [(1/mag)^(1/T), U_bound] (the
    authors' initialisation of the layer the classifier reads), else in [0, U_bound]."""

    def __init__(self, hidden, seq_len, dropout, mag, last=False):
        super().__init__()
        self.hidden, self.dropout, self.bound = hidden, dropout, recurrent_bound(mag, seq_len)
        lo = recurrent_bound(1.0 / mag, seq_len) if last else 0.0
        self.u = nn.Parameter(torch.empty(hidden).uniform_(lo, self.bound))
        self.bn = nn.BatchNorm1d(hidden)

    def forward(self, z):  # z: [T, B, H]
        steps = z.unbind(0)  # one view per step; its backward stacks the grads (z[t] would add T full-size zeros)
        h = F.relu(steps[0])
        out = [h]
        for zt in steps[1:]:
            h = F.relu(torch.addcmul(zt, self.u, h))
            out.append(h)
        h = torch.stack(out)
        y = self.bn(h.reshape(-1, self.hidden)).reshape(h.shape)
        if self.training and self.dropout > 0:
            mask = torch.bernoulli(torch.full(h.shape[1:], 1 - self.dropout)) / (1 - self.dropout)
            y = y * mask
        return y


def train_step(net, opt, x, labels):
    """One step of cross-entropy on the logits of net(x): gradients clamped to +-10, then |u| <= U_bound in
    every IndRec (as our trainer's gradClip and clipRecurrent). Returns the loss (a tensor)."""
    opt.zero_grad()
    loss = F.cross_entropy(net(x), labels)
    loss.backward()
    for w in net.parameters():
        w.grad.clamp_(-10, 10)
    opt.step()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, IndRec):
                m.u.clamp_(-m.bound, m.bound)
    return loss
