# Unit tests: wsl.exe, the podman machine and the WSL address (Private/Wsl.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Find-WslProgram' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'prefers the WSL package in Program Files' {
        InModuleScope WslPortProxy {
            Find-WslProgram | Should -Be (Join-Path (Join-Path $env:ProgramFiles 'WSL') 'wsl.exe')
        }
    }

    It 'Given no wsl.exe anywhere, fails with exit code 3 saying where it looked' {
        Remove-SimWsl
        InModuleScope WslPortProxy {
            $package = Join-Path (Join-Path $env:ProgramFiles 'WSL') 'wsl.exe'
            $system32 = Join-Path (Join-Path $env:SystemRoot 'System32') 'wsl.exe'
            { Find-WslProgram } | Should -Throw -ErrorId 'WslPortProxy.WslNotFound' -ExpectedMessage "wsl.exe was not found (looked in $package and $system32). Install WSL 2.0 or later for all users."
        }
    }

    It 'never takes a wsl.exe from PATH, which the task''s account sets' {
        Remove-SimWsl
        $own = Join-Path $global:WslppSim.Root 'Users/svc-podman/bin'
        Install-SimProgram -Program wsl -Path (Join-Path $own 'wsl.exe') -Fake (Join-Path $PSScriptRoot '../sim/fakewin.py')
        if (-not $global:WslppSimOnWindows) { Copy-Item -LiteralPath (Join-Path $own 'wsl.exe') -Destination (Join-Path $own 'wsl') }
        $saved = $env:PATH
        $env:PATH = $own + [System.IO.Path]::PathSeparator + $env:PATH
        try { InModuleScope WslPortProxy { { Find-WslProgram } | Should -Throw -ErrorId 'WslPortProxy.WslNotFound' } }
        finally { $env:PATH = $saved }
    }
}

Describe 'Get-PodmanMachineState' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'reads .State from <Case>' -ForEach @(
        @{ Case = 'the inspect JSON'; ExitCode = 0; Output = @('[{"Name":"m","State":"Running"}]'); State = 'running' }
        @{ Case = 'a failed inspect'; ExitCode = 125; Output = @('Error: m: VM does not exist'); State = 'unknown (podman machine inspect exit 125: Error: m: VM does not exist)' }
        @{ Case = 'unreadable output'; ExitCode = 0; Output = @('{oops'); State = 'unknown (unreadable output of podman machine inspect: *' }
        @{ Case = 'an empty list'; ExitCode = 0; Output = @('[]'); State = 'unknown (podman machine inspect listed no machine)' }
    ) {
        InModuleScope WslPortProxy -Parameters @{ ExitCode = $ExitCode; Output = $Output; State = $State } {
            param($ExitCode, $Output, $State)
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = $ExitCode; Output = $Output } }
            Get-PodmanMachineState -Podman 'podman.exe' -Distro 'm' | Should -BeLike $State
            Should -Invoke Invoke-NativeCommand -Times 1 -Exactly -ParameterFilter { "$ArgumentList" -eq 'machine inspect m' }
        }
    }
}

Describe 'Start-PodmanMachine' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Directory = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
    }
    AfterEach { Remove-SimulatedWindows }

    It 'starts a stopped machine, confirms it runs, and leaves a running one alone' {
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $log = Open-RunLog -Directory $TestDrive -NoFile
            Start-PodmanMachine -Distro 'podman-machine-default' -Directory $Directory -Log $log
            Start-PodmanMachine -Distro 'podman-machine-default' -Directory $Directory -Log $log
        }
        (Read-SimState 'podman.json').machines['podman-machine-default'] | Should -Be 'running'
        @(Get-SimCall -Program 'podman' | Where-Object { $_ -notlike 'podman started*' }) | Should -Be @('podman machine inspect podman-machine-default', 'podman machine start podman-machine-default', 'podman machine inspect podman-machine-default', 'podman machine inspect podman-machine-default')
    }

    It 'Given Podman <Version> before logon and PATH as Windows has it (System32 first, WSL last), starts the machine with the WSL package''s wsl.exe' -ForEach @(
        @{ Version = '5.5.2' }   # FindWSL: the LOCALAPPDATA link
        @{ Version = '5.6.0' }   # "wsl" from PATH
        @{ Version = '5.8.2' }
    ) {
        Set-SimSession0
        Set-SimWindowsPath
        Write-SimState 'podman.json' @{ version = $Version; machines = @{ 'podman-machine-default' = 'stopped' } }
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            Start-PodmanMachine -Distro 'podman-machine-default' -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile)
        }
        $package = Join-Path (Join-Path $global:WslppSim.ProgramFiles 'WSL') 'wsl.exe'
        $used = @(Get-SimCall -Program 'podman' | Where-Object { $_ -like 'podman started*' })
        $used | Should -HaveCount 1
        $item = Get-Item -LiteralPath ($used[0] -replace '^podman started podman-machine-default with ', '')
        if ($item.LinkType) { $item.Target | Should -Be $package } else { $item.FullName | Should -Be $package }
        (Read-SimState 'podman.json').machines['podman-machine-default'] | Should -Be 'running'
    }

    It 'Given -WhatIf, only asks, and makes no link' {
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            Start-PodmanMachine -Distro 'podman-machine-default' -Directory $Directory -Log (Open-RunLog -Directory $TestDrive -NoFile) -WhatIf
        }
        @(Get-SimCall -Program 'podman') | Should -Be @('podman machine inspect podman-machine-default')
        Test-Path -LiteralPath (Join-Path $script:Directory 'podman-wsl') | Should -BeFalse
    }

    It 'treats "already running" (exit 125) as fine, and fails with exit code 12 on any other failure' {
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory $TestDrive -NoFile
            Mock Get-PodmanWslFolder { $null }
            $script:states = [System.Collections.Generic.Queue[string]]::new([string[]] @('starting', 'running'))
            Mock Get-PodmanMachineState { $script:states.Dequeue() }
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 125; Output = @('Error: machine m: VM already running or starting') } }
            Start-PodmanMachine -Distro 'm' -Directory 'unused' -Log $log
            Should -Invoke Get-PodmanMachineState -Times 2 -Exactly
            Mock Get-PodmanMachineState { 'stopped' }
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 125; Output = @('Error: no space left') } }
            $failure = { Start-PodmanMachine -Distro 'm' -Directory 'unused' -Log $log } | Should -Throw -ErrorId 'WslPortProxy.PodmanStartFailed' -PassThru
            $failure.Exception.Message | Should -BeExactly 'podman machine start m failed (exit 125): Error: no space left'
            Get-FailureExitCode -ErrorRecord $failure | Should -Be 12
        }
    }

    It 'Given no podman.exe for the account, warns and goes on' {
        Remove-Item -LiteralPath (Join-Path $global:WslppSim.ProgramFiles 'RedHat') -Recurse
        InModuleScope WslPortProxy {
            Start-PodmanMachine -Distro 'm' -Directory 'unused' -Log (Open-RunLog -Directory $TestDrive -NoFile) -WarningVariable warnings -WarningAction SilentlyContinue
            "$($warnings[0])" | Should -Be "podman.exe was not found for $env:USERDOMAIN\$env:USERNAME; not starting podman machine m."
        }
    }
}

Describe 'Get-PodmanWslFolder and Invoke-Podman' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        $script:Directory = Join-Path $global:WslppSim.ProgramData 'WslPortProxy'
    }
    AfterEach { Remove-SimulatedWindows }

    It 'links Microsoft\WindowsApps\wsl.exe to the WSL package''s wsl.exe once, and mends a wrong link' {
        $package = Join-Path (Join-Path $global:WslppSim.ProgramFiles 'WSL') 'wsl.exe'
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory; Package = $package } {
            param($Directory, $Package)
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $root = Get-PodmanWslFolder -Directory $Directory -Log $log
            $root | Should -Be (Join-Path $Directory 'podman-wsl')
            $link = Join-Path $root 'Microsoft/WindowsApps/wsl.exe'
            (Get-Item -LiteralPath $link).Target | Should -Be $Package
            Mock New-Item { }
            Get-PodmanWslFolder -Directory $Directory -Log $log | Should -Be $root
            Should -Invoke New-Item -Times 0 -Exactly   # already right
        }
    }

    It 'Given no WSL package, returns nothing and warns in the log' {
        Remove-Item -LiteralPath (Join-Path $global:WslppSim.ProgramFiles 'WSL') -Recurse
        InModuleScope WslPortProxy -Parameters @{ Directory = $script:Directory } {
            param($Directory)
            $log = Open-RunLog -Directory $TestDrive
            Get-PodmanWslFolder -Directory $Directory -Log $log | Should -BeNullOrEmpty
            Get-Content -Raw -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Should -Match 'is missing: podman picks its own wsl\.exe\.'
        }
    }

    It 'gives podman a PATH of the WSL package''s folder first, then System32, the Windows folder, Wbem and podman''s own folder' {
        InModuleScope WslPortProxy {
            $system32 = Join-Path $env:SystemRoot 'System32'
            $podman = Join-Path (Join-Path (Join-Path $env:ProgramFiles 'RedHat') 'Podman') 'podman.exe'
            $expected = @((Join-Path $env:ProgramFiles 'WSL'), $system32, $env:SystemRoot, (Join-Path $system32 'Wbem'), (Split-Path $podman)) -join [System.IO.Path]::PathSeparator
            Get-PodmanSearchPath -Podman $podman | Should -BeExactly $expected
            $saved = $env:PATH
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 0; Output = @($env:PATH) } }
            (Invoke-Podman -Podman $podman -ArgumentList @('ps')).Output | Should -BeExactly $expected
            $env:PATH | Should -BeExactly $saved
            Mock Invoke-NativeCommand { throw 'boom' }
            { Invoke-Podman -Podman $podman -ArgumentList @('ps') } | Should -Throw 'boom'
            $env:PATH | Should -BeExactly $saved
        }
    }

    It 'sets LOCALAPPDATA only for the podman call and restores it, also when the call fails' {
        InModuleScope WslPortProxy {
            $env:LOCALAPPDATA = 'C:\Users\svc\AppData\Local'
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 0; Output = @($env:LOCALAPPDATA) } }
            (Invoke-Podman -Podman 'podman.exe' -ArgumentList @('version') -LocalAppData 'C:\ProgramData\WslPortProxy\podman-wsl').Output | Should -Be 'C:\ProgramData\WslPortProxy\podman-wsl'
            $env:LOCALAPPDATA | Should -Be 'C:\Users\svc\AppData\Local'
            Mock Invoke-NativeCommand { throw 'boom' }
            { Invoke-Podman -Podman 'podman.exe' -ArgumentList @('version') -LocalAppData 'X' } | Should -Throw 'boom'
            $env:LOCALAPPDATA | Should -Be 'C:\Users\svc\AppData\Local'
            $env:LOCALAPPDATA = $null
        }
    }
}

Describe 'Get-WslAddress' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'returns the IPv4 address of eth0' {
        InModuleScope WslPortProxy {
            Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 0 -Log (Open-RunLog -Directory $TestDrive -NoFile) |
                Should -Be '172.28.241.140'
        }
        @(Get-SimCall -Program 'wsl') | Should -Be @('wsl --distribution podman-machine-default --exec sh -c ip -4 -o addr show dev eth0; wslinfo --networking-mode 2>/dev/null; true')
    }

    It 'waits while eth0 has no address yet' {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.5.5'; no_ip_for = 2 } }
        InModuleScope WslPortProxy {
            Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 5 -Log (Open-RunLog -Directory $TestDrive -NoFile) |
                Should -Be '172.28.5.5'
        }
        @(Get-SimCall -Program 'wsl') | Should -HaveCount 3
    }

    It 'Given no address in time, fails with exit code 4' {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = $null } }
        InModuleScope WslPortProxy {
            { Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 0 -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.NoWslAddress' -ExpectedMessage "WSL distribution 'podman-machine-default' had no IPv4 address on eth0 within 0 seconds (1 attempts; last output: nat). No rule was changed."
        }
    }

    It 'Given <Mode> networking, fails with exit code 11 at once, naming the mode and what it means (<Means>)' -ForEach @(
        @{ Mode = 'bridged'; Means = '*the VM has its own address on the LAN, so clients can reach WSL directly and no portproxy rule is needed*' }
        @{ Mode = 'mirrored'; Means = "*eth0 carries this server's own addresses, so a portproxy rule would forward the port into this server itself*" }
        @{ Mode = 'consomme'; Means = "*WSL binds this server's ports itself when a program in WSL listens, so a portproxy rule would fight it for the port*" }
        @{ Mode = 'virtioproxy'; Means = "*WSL binds this server's ports itself when a program in WSL listens, so a portproxy rule would fight it for the port*" }
        @{ Mode = 'none'; Means = '*the VM has no network, so there is nothing to forward to*' }
        @{ Mode = 'wsl1'; Means = "*runs under WSL 1, which shares this server's network stack*" }
        @{ Mode = 'futuremode'; Means = '*a mode this version of WslPortProxy does not know; it forwards only in nat mode rather than guess*' }
    ) {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.5.5'; networking_mode = $Mode } }
        InModuleScope WslPortProxy -Parameters @{ Mode = $Mode; Means = $Means } {
            param($Mode, $Means)
            { Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 30 -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.NotNatNetworking' -ExpectedMessage "WSL uses $Mode networking (wslinfo --networking-mode$Means No rule was changed."
        }
        @(Get-SimCall -Program 'wsl') | Should -HaveCount 1
    }

    It 'Given no networking mode (WSL 1.x has no wslinfo), returns eth0''s address (Assert-ForeignAddress judges it)' {
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.5.5'; networking_mode = $null } }
        InModuleScope WslPortProxy {
            Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 0 -Log (Open-RunLog -Directory $TestDrive -NoFile) |
                Should -Be '172.28.5.5'
        }
    }

    It 'Assert-ForeignAddress refuses one of this server''s own addresses (exit 11) and accepts WSL''s' {
        InModuleScope WslPortProxy {
            { Assert-ForeignAddress -Address '192.168.0.12' } | Should -Throw -ErrorId 'WslPortProxy.LocalAddress'
            { Assert-ForeignAddress -Address '172.28.241.140' } | Should -Not -Throw
        }
    }

    It 'Given the distribution is not registered for this account, fails with exit code 3 at once' {
        Set-SimWsl @{ 'Ubuntu' = @{ ip = '172.28.5.5' } }
        InModuleScope WslPortProxy {
            { Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 30 -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.DistroNotFound' -ExpectedMessage "WSL distribution 'podman-machine-default' is not registered for CORP\svc-podman (*WSL_E_DISTRO_NOT_FOUND; wsl.exe --list --quiet lists: Ubuntu). The task must run as the account that owns the distribution."
        }
        @(Get-SimCall -Program 'wsl') | Should -HaveCount 2   # the probe, then the list of names
        @(Get-SimCall -Program 'wsl')[1] | Should -Be 'wsl --list --quiet'
    }

    It 'Given a failed probe for a distribution that is registered, keeps waiting (no exit 3)' {
        InModuleScope WslPortProxy {
            Mock Invoke-Wsl { [pscustomobject]@{ ExitCode = 1; Output = @('Catastrophic failure') } } -ParameterFilter { $ArgumentList[0] -eq '--distribution' }
            Mock Start-Sleep { }
            { Get-WslAddress -WslPath (Find-WslProgram) -Distro 'podman-machine-default' -TimeoutSeconds 0 -Log (Open-RunLog -Directory $TestDrive -NoFile) } |
                Should -Throw -ErrorId 'WslPortProxy.NoWslAddress'
        }
    }

    It 'Invoke-Wsl sets WSL_UTF8 and UTF-8 output decoding for the call only' {
        InModuleScope WslPortProxy {
            $savedEncoding = [Console]::OutputEncoding
            $env:WSL_UTF8 = $null
            Mock Invoke-NativeCommand { [pscustomobject]@{ ExitCode = 0; Output = @("$env:WSL_UTF8 $([Console]::OutputEncoding.WebName)") } }
            (Invoke-Wsl -WslPath 'wsl.exe' -ArgumentList @('--version')).Output | Should -Be '1 utf-8'
            $env:WSL_UTF8 | Should -BeNullOrEmpty
            [Console]::OutputEncoding.WebName | Should -Be $savedEncoding.WebName
        }
    }
}

Describe 'The address WSL reports: Get-WslAddressProblem, Get-WslNatNetwork' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'refuses non-unicast, loopback, link-local and multicast addresses, and what is not IPv4' {
        InModuleScope WslPortProxy {
            Get-WslAddressProblem -Address '127.0.0.1' -NatNetwork '172.28.0.0/16' | Should -Be 'a loopback address (127.0.0.0/8)'
            Get-WslAddressProblem -Address '169.254.169.254' -NatNetwork $null | Should -Be 'a link-local address (169.254.0.0/16)'
            Get-WslAddressProblem -Address '239.1.2.3' -NatNetwork $null | Should -Be 'a multicast address (224.0.0.0/4)'
            Get-WslAddressProblem -Address '0.1.2.3' -NatNetwork $null | Should -Be 'not a unicast address (0.0.0.0/8)'
            Get-WslAddressProblem -Address '255.255.255.255' -NatNetwork $null | Should -Be 'not a unicast address (240.0.0.0/4)'
            Get-WslAddressProblem -Address '172.28.300.1' -NatNetwork $null | Should -Be 'not an IPv4 address'
            Get-WslAddressProblem -Address 'fe80::1' -NatNetwork $null | Should -Be 'not an IPv4 address'
        }
    }

    It 'accepts an address inside NatNetwork only, and without one a private address only' {
        InModuleScope WslPortProxy {
            Get-WslAddressProblem -Address '172.28.255.254' -NatNetwork '172.28.240.0/20' | Should -Be ''
            Get-WslAddressProblem -Address '172.28.239.255' -NatNetwork '172.28.240.0/20' |
                Should -Be 'outside the NAT network WSL set up (NatNetwork 172.28.240.0/20 in HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss)'
            foreach ($private in '10.255.0.1', '172.31.0.1', '192.168.99.1') {
                Get-WslAddressProblem -Address $private -NatNetwork $null | Should -Be ''
            }
            Get-WslAddressProblem -Address '172.32.0.1' -NatNetwork '' | Should -BeLike 'not a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16), *'
        }
    }

    It 'Get-WslNatNetwork reads NatNetwork from HKLM; missing or malformed is $null' {
        $key = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Lxss'
        Set-SimRegistry -Key $key -Name 'NatNetwork' -Value '172.29.16.0/20'
        InModuleScope WslPortProxy { Get-WslNatNetwork | Should -Be '172.29.16.0/20' }
        foreach ($bad in '172.29.16.0', '172.29.16.0/33', '999.1.1.1/8', $null) {
            Set-SimRegistry -Key $key -Name 'NatNetwork' -Value $bad
            InModuleScope WslPortProxy { Get-WslNatNetwork | Should -BeNullOrEmpty }
        }
    }

    It 'Assert-ForeignAddress fails with exit 11 (UntrustedAddress) naming the address and why' {
        InModuleScope WslPortProxy {
            { Assert-ForeignAddress -Address '127.0.0.2' } | Should -Throw -ErrorId 'WslPortProxy.UntrustedAddress' `
                -ExpectedMessage "WSL's address 127.0.0.2 is a loopback address (127.0.0.0/8). eth0's address is set inside the distribution, so the task does not trust it; run wsl --shutdown and let WSL assign it again, and check who changed it. No rule was changed."
            try { Assert-ForeignAddress -Address '10.1.1.1' } catch { Get-FailureExitCode -ErrorRecord $_ | Should -Be 11 }
        }
    }
}
