# Unit tests: the drift between what is published and what is forwarded, and the port inventory
# (Private/Drift.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Get-PublishedDrift' {
    It 'reports published-not-forwarded, forwarded-not-published and loopback-only ports, and nothing for a match' {
        InModuleScope WslPortProxy {
            $rules = @([pscustomobject]@{ ConnectPort = 80; Key = '0.0.0.0/80' }, [pscustomobject]@{ ConnectPort = 443; Key = '0.0.0.0/8443' },
                [pscustomobject]@{ ConnectPort = 5432; Key = '0.0.0.0/5432' })
            $published = @(
                (New-PublishedPort -Engine 'podman' -Container 'web' -Port 443 -ContainerPort 443)
                (New-PublishedPort -Engine 'podman' -Container 'api' -Port 9000 -ContainerPort 9000)
                (New-PublishedPort -Engine 'podman' -Container 'api2' -Port 9000 -ContainerPort 9000 -HostIp '127.0.0.1')
                (New-PublishedPort -Engine 'podman' -Container 'db' -Port 5432 -ContainerPort 5432 -HostIp '127.0.0.1'))
            $drift = @(Get-PublishedDrift -Rule $rules -Published $published)
            @($drift | ForEach-Object { "$($_.Port) $($_.Kind)" }) | Should -Be @('5432 LoopbackOnly', '9000 NotForwarded', '80 NotPublished')
            $drift[1].Message | Should -BeExactly "Port 9000 is published (api, api2) but not forwarded: add 9000 to this server's ports in the inventory (Update-WslPortProxy.ps1 -Discover prints the entries)."
        }
    }

    It 'with auto_ports, says a port is outside the allow-list, and leaves out the ports auto_ports skipped' {
        InModuleScope WslPortProxy {
            $auto = [pscustomobject]@{ Allow = @([pscustomobject]@{ First = 80; Last = 80 }) }
            $published = @((New-PublishedPort -Engine 'podman' -Container 'api' -Port 9000 -ContainerPort 9000), (New-PublishedPort -Engine 'podman' -Container 'web' -Port 80 -ContainerPort 80))
            $drift = @(Get-PublishedDrift -Rule @() -Published $published -AutoPorts $auto -Skipped @(80))
            $drift | Should -HaveCount 1
            $drift[0].Message | Should -BeExactly "Port 9000 is published (api) but not forwarded: it is outside auto_ports.allow; add it there or to this server's ports in the inventory."
        }
    }

    It 'names the ranges left unexpanded (outside the allow-list) once each, not port by port' {
        InModuleScope WslPortProxy {
            $auto = [pscustomobject]@{ Allow = @([pscustomobject]@{ First = 80; Last = 80 }) }
            $wide = New-PublishedPort -Engine 'podman' -Container 'wide' -Port 1 -ContainerPort 1
            $local = New-PublishedPort -Engine 'podman' -Container 'db' -Port 5432 -ContainerPort 5432 -HostIp '127.0.0.1'
            $outside = @((New-PublishedRange -Sample $wide -First 81 -Last 65535), (New-PublishedRange -Sample $wide -First 9 -Last 9),
                (New-PublishedRange -Sample $local -First 5432 -Last 5432))
            $drift = @(Get-PublishedDrift -Rule @() -Published @() -AutoPorts $auto -Outside $outside)
            @($drift | ForEach-Object { $_.Message }) | Should -Be @(
                "Ports 81-65535 are published (wide) but not forwarded: they are outside auto_ports.allow; add them there or to this server's ports in the inventory."
                "Port 9 is published (wide) but not forwarded: it is outside auto_ports.allow; add it there or to this server's ports in the inventory."
                'Port 5432 is published (db) on 127.0.0.1 only: not reachable through eth0, so not forwarded; skipped.')
            @($drift.Kind) | Should -Be @('NotForwarded', 'NotForwarded', 'LoopbackOnly')
        }
    }

    It 'reports every forwarded port when nothing is published' {
        InModuleScope WslPortProxy {
            $rules = @([pscustomobject]@{ ConnectPort = 80; Key = '0.0.0.0/80' })
            @(Get-PublishedDrift -Rule $rules -Published @()).Kind | Should -Be @('NotPublished')
        }
    }
}

Describe 'ConvertTo-PortInventory' {
    It 'joins consecutive ports of the same containers into a range, but not across containers or forwarded ports' {
        InModuleScope WslPortProxy {
            $ports = @(foreach ($port in 8000, 8001, 8002, 8003) { New-PublishedPort -Engine 'podman' -Container 'a' -Port $port -ContainerPort $port })
            $ports += New-PublishedPort -Engine 'podman' -Container 'b' -Port 8004 -ContainerPort 8004
            $reading = [pscustomobject]@{ Engine = 'podman'; Ports = $ports }
            $rules = @([pscustomobject]@{ ConnectPort = 8002 })
            ConvertTo-PortInventory -Reading $reading -Distro 'm' -Rule $rules | Should -Be @(
                '# What podman publishes in WSL distribution m now; paste under this server''s "ports:".'
                '- "8000-8001"   # a'
                '- 8002          # a, already forwarded'
                '- 8003          # a'
                '- 8004          # b')
        }
    }
}

Describe 'ConvertTo-PortInventory without reachable ports' {
    It 'says nothing is published and lists the loopback-only ports as comments' {
        InModuleScope WslPortProxy {
            $reading = [pscustomobject]@{ Engine = 'docker'; Ports = @(New-PublishedPort -Engine 'docker' -Container 'db' -Port 5432 -ContainerPort 5432 -HostIp '127.0.0.1') }
            ConvertTo-PortInventory -Reading $reading -Distro 'Ubuntu' -Rule @() | Should -Be @(
                '# What docker publishes in WSL distribution Ubuntu now; paste under this server''s "ports:".'
                '# No container publishes a TCP port that can be reached through eth0.'
                '# Not reachable through eth0, so not listed: 5432 (db, on 127.0.0.1 only)')
        }
    }
}
