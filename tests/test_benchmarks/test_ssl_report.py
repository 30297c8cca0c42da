# Copyright (c) samix_mm contributors. All rights reserved.
"""benchmarks/ssl_linear_probe.py's BN modes and benchmarks/ssl_report.py
(fast: a width-8 encoder and synthetic logs)."""
import json
import math
import os.path as osp
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def scripts():
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    try:
        import ssl_linear_probe
        import ssl_report
    finally:
        sys.path.pop(0)
    ssl_linear_probe.register_all_modules(False)
    return ssl_linear_probe, ssl_report


def test_clean_bn_is_the_mean_of_batch_statistics(scripts):
    """Re-estimated stem statistics: the per-channel mean of the stem
    convolution's outputs and the mean of the per-batch unbiased
    variances; the stored ones (as after training) are gone, every BN
    layer moved."""
    probe, _ = scripts
    torch.manual_seed(0)
    imgs = torch.randn(2 * probe.BN_BATCH, 3, 32, 32) * 2 + 1
    model = probe.build_encoder('random', 'online', 8, 0)
    bns = [m for m in model.modules()
           if isinstance(m, torch.nn.BatchNorm2d)]
    for bn in bns:
        bn.running_mean.fill_(5.)
        bn.running_var.fill_(100.)
        bn.num_batches_tracked.fill_(1000)
    assert probe.clean_bn(model, imgs, 'cpu') == len(bns) == 21
    with torch.no_grad():
        out = model.conv1(imgs).transpose(0, 1).flatten(1)  # (C, N*H*W)
        var = torch.stack([
            part.transpose(0, 1).flatten(1).var(1, unbiased=True)
            for part in model.conv1(imgs).split(probe.BN_BATCH)
        ]).mean(0)
    torch.testing.assert_close(model.norm1.running_mean, out.mean(1),
                               rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model.norm1.running_var, var, rtol=1e-4,
                               atol=1e-5)
    for bn in bns:
        assert float(bn.running_mean.abs().max()) < 4
        assert float(bn.running_var.max()) < 50
        assert bn.momentum is None and not bn.training
    assert not model.training


def test_bn_images_are_a_seeded_draw(scripts):
    """The re-estimation images: a seeded draw across the classes (the
    probe's images come class by class), all of them by default."""
    probe, _ = scripts
    imgs = torch.arange(100)
    draw = probe.shuffled(imgs, 10, 0)
    assert len(set(draw.tolist())) == 10 and int(draw.max()) >= 50
    assert torch.equal(draw, probe.shuffled(imgs, 10, 0))
    assert not torch.equal(draw, probe.shuffled(imgs, 10, 1))
    assert sorted(probe.shuffled(imgs, None, 0).tolist()) == list(range(100))


def test_probe_rows_for_both_bn_modes(scripts, tmp_path):
    """`--bn-stats stored clean`: one row per mode, in that order; the
    stored mode is the plain probe, the clean one embeds differently."""
    probe, _ = scripts
    common = ['random', '--width', '8', '--train-samples', '60',
              '--test-samples', '40', '--steps', '30']
    plain, = probe.main(common)
    stored, clean = probe.main(common + ['--bn-stats', 'stored', 'clean',
                                         '--bn-images', '50'])
    assert (stored['bn_stats'], clean['bn_stats']) == ('stored', 'clean')
    assert stored['test_top1'] == plain['test_top1']
    assert (stored['epoch'], stored['iter']) == (0, 0)
    assert clean['bn_images'] == 50 and 'bn_images' not in stored
    assert (clean['train_top1'], clean['test_top1']) != (
        stored['train_top1'], stored['test_top1'])
    with pytest.raises(ValueError, match='--bn-images 61'):
        probe.main(common + ['--bn-stats', 'clean', '--bn-images', '61'])


def write_run(work, name, sec_per_iter, iters_per_epoch=10, epochs=3,
              exact=True):
    """A run folder with a scalars.json logging every 4 iterations and
    at each epoch's end (``time_global`` when ``exact``)."""
    logs = work / name / '20260101_000000' / 'vis_data'
    logs.mkdir(parents=True)
    rows = []
    for it in range(1, epochs * iters_per_epoch + 1):
        if it % 4 and it % iters_per_epoch:
            continue
        row = dict(loss=1., time=sec_per_iter, iter=it, step=it)
        if exact:
            row['time_global'] = sec_per_iter
        rows.append(row)
    (logs / 'scalars.json').write_text(
        ''.join(json.dumps(r) + '\n' for r in rows))


def probe_json(path, checkpoints_top1, encoder='online', bn='stored'):
    """A probe JSON with rows ``(checkpoint, epoch, test_top1)``."""
    rows = [dict(checkpoint=c, encoder=encoder, bn_stats=bn, epoch=e,
                 iter=10 * e, test_top1=t)
            for c, e, t in checkpoints_top1]
    path.write_text(json.dumps(dict(args={}, results=rows)))
    return str(path)


def test_elapsed_seconds(scripts):
    """Exact cumulative means, summed window means, interpolation and
    extrapolation."""
    _, report = scripts
    windowed = [dict(iter=4, time=1.), dict(iter=10, time=2.)]
    assert report.elapsed(windowed) == [(4, 4.), (10, 16.)]
    exact = [dict(iter=4, time=9., time_global=1.5),
             dict(iter=10, time=9., time_global=2.)]
    points = report.elapsed(exact)
    assert points == [(4, 6.), (10, 20.)]
    assert report.seconds_at(points, 10) == 20.
    assert report.seconds_at(points, 2) == 3.
    assert report.seconds_at(points, 7) == pytest.approx(13.)
    assert report.seconds_at(points, 13) == pytest.approx(27.)


def test_report_equal_wall_clock_pairing(scripts, tmp_path):
    """MoCo v2 1 s/iteration, SAMix-I 1.5 s/iteration, 10 per epoch:
    SAMix-I epoch 1 (15 s) meets MoCo v2 epoch 1 (10 s), epoch 2 (30 s)
    epoch 3 (30 s: equal times pair), epoch 3 (45 s) MoCo's last; one
    SAMix-I log has window means only; the logs are found in --work-dir
    when the checkpoints have moved."""
    _, report = scripts
    work = tmp_path / 'work'
    for seed in (0, 1):
        write_run(work, f'moco_s{seed}', 1.)
        write_run(work, f'samix_s{seed}', 1.5, exact=seed == 0)
    write_run(work, 'samix_ctrl_s0', 1.2)
    gone = '/gone/work'
    rows = [('random', 0, 10.)]
    for epoch in (1, 2, 3):
        rows += [(f'{gone}/moco_s0/epoch_{epoch}.pth', epoch, 20. + epoch),
                 (f'{gone}/moco_s1/epoch_{epoch}.pth', epoch, 22. + epoch),
                 (f'{gone}/samix_s0/epoch_{epoch}.pth', epoch, 18. + epoch),
                 (f'{gone}/samix_s1/epoch_{epoch}.pth', epoch, 17. + epoch),
                 (f'{gone}/samix_ctrl_s0/epoch_{epoch}.pth', epoch,
                  22.5 + epoch)]
    probes = [probe_json(tmp_path / 'p.json', rows)]
    probes.append(probe_json(tmp_path / 'c.json', rows[:3], bn='clean'))
    out = tmp_path / 'out' / 'new'  # made by the report
    result = report.main(probes + ['--work-dir', str(work), '--out-dir',
                                   str(out)])
    assert json.loads((out / 'ssl_report.json').read_text()) == \
        json.loads(json.dumps(result))
    mode = result['modes']['online/stored']
    samix = mode['variants']['samix']
    assert [(e['epoch'], e['iter'], e['train_seconds']) for e in samix] == [
        (1, 10, 15.), (2, 20, 30.), (3, 30, 45.)]
    assert samix[0]['top1'] == 18.5
    assert samix[0]['top1_std'] == pytest.approx(math.sqrt(0.5))
    assert mode['variants']['random'][0]['train_seconds'] == 0.
    pairs = mode['samix_minus_moco']
    assert [(p['samix_epoch'], p['moco_epoch'], p['delta'])
            for p in pairs['equal_iters']] == [(1, 1, -3.5), (2, 2, -3.5),
                                               (3, 3, -3.5)]
    assert not any(p['moco_ended'] for p in pairs['equal_iters'])
    assert [(p['samix_epoch'], p['moco_epoch'], p['moco_ended'])
            for p in pairs['equal_time']] == [(1, 1, False), (2, 3, False),
                                              (3, 3, True)]
    assert [p['delta'] for p in pairs['equal_time']] == [-3.5, -4.5, -3.5]
    # last checkpoints: random 10, MoCo 24, SAMix-I 20.5, control 25.5
    assert [(a['value'], a['passed']) for a in mode['acceptance']] == [
        (14., True), (10.5, True), (1.5, True)]
    text = (out / 'ssl_report.md').read_text()
    assert '- acceptance: |control - MoCo v2| <= 1.5: +1.50 PASS' in text
    assert '| samix | 1 | 10 | 15 | 18.50 | 0.71 | 2 | s0: 19.00, s1: ' \
        '18.00 |' in text
    assert '| equal_time | 3 | 45 | 3* | 30 |' in text
    assert 'closest not larger' in text
    clean = result['modes']['online/clean']
    assert clean['samix_minus_moco'] == dict(equal_iters=[], equal_time=[])
    # the figure: a line per variant from the random init (0 min), an
    # online panel per BN mode
    assert (out / 'ssl_report.png').stat().st_size > 10000
    drawn = report.plot(result, str(tmp_path / 'again.png'))
    assert list(drawn) == ['online/stored', 'online/clean']
    minutes, top1, std = drawn['online/stored']['samix']
    assert minutes == pytest.approx([0., .25, .5, .75])
    assert top1 == [10., 18.5, 19.5, 20.5]
    assert std == pytest.approx([0.] + [math.sqrt(.5)] * 3)
    assert 'random' not in drawn['online/stored']
    assert list(drawn['online/clean']) == ['moco']
    assert drawn['online/clean']['moco'][:2] == ([0., 1 / 6], [10., 22.])
    assert [a['passed'] for a in clean['acceptance']] == [True, None, None]


def test_rows_probed_twice_count_once(scripts, tmp_path):
    """The random-init row of two sweeps is one encoder, not two seeds;
    the same checkpoint with two different top-1 is refused."""
    _, report = scripts
    work = tmp_path / 'work'
    write_run(work, 'moco_s0', 1.)
    ckpt = str(work / 'moco_s0' / 'epoch_1.pth')
    first = probe_json(tmp_path / 'a.json', [('random', 0, 10.),
                                            (ckpt, 1, 20.)])
    second = probe_json(tmp_path / 'b.json', [('random', 0, 10.)])
    again = probe_json(tmp_path / 'c.json', [(ckpt, 1, 20.)])
    rows = report.load_rows([first, second, again])
    assert [(r['variant'], r['test_top1']) for r in rows] == [
        ('random', 10.), ('moco', 20.)]
    clean = probe_json(tmp_path / 'd.json', [('random', 0, 5.)], bn='clean')
    assert len(report.load_rows([first, clean])) == 3  # another BN mode
    other = probe_json(tmp_path / 'e.json', [('random', 0, 11.)])
    with pytest.raises(ValueError, match=r'^random \(online, stored BN\) '
                       r'has top-1 10.00 in .*a.json and 11.00 in .*e.json; '
                       r'report probes of one setting'):
        report.load_rows([first, other])


def test_equal_time_partner_falls_back_to_random_init(scripts):
    """A SAMix-I checkpoint faster than every MoCo v2 one meets the
    random-init encoder (0 s); equal times pair."""
    _, report = scripts
    moco = [dict(epoch=1, train_seconds=10.),
            dict(epoch=2, train_seconds=20.)]
    random = dict(epoch=0, train_seconds=0.)

    def partner(seconds, rand=random):
        return report.equal_time_partner(dict(train_seconds=seconds), moco,
                                         rand)

    assert partner(5.) is random
    assert partner(5., None) is None
    assert partner(20.) is moco[1]
    assert partner(19.9) is moco[0]
